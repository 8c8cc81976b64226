using System.Diagnostics.Metrics;

namespace Netmap.Adapters.Vale;

/// <summary>
/// Per-port VALE counters as System.Diagnostics.Metrics instruments (meter "Netmap.Vale"), tagged with the switch
/// and port names, so <c>dotnet-counters monitor -n netmapd --counters Netmap.Vale</c> watches a switch. Values are
/// read from the ports when a listener collects; nothing is recorded on the data path beyond the ports' own
/// counters.
/// </summary>
internal static class ValeMetrics
{
    public const string MeterName = "Netmap.Vale";
    private static readonly Meter s_meter = new(MeterName);
    private static readonly List<ValeSystem> s_systems = new();
    private static readonly object s_lock = new();

    static ValeMetrics()
    {
        Counter("netmap.vale.port.rx.packets", "{packet}", "Frames delivered into the port's RX rings", s => s.RxPackets);
        Counter("netmap.vale.port.rx.bytes", "By", "Bytes delivered into the port's RX rings", s => s.RxBytes);
        Counter("netmap.vale.port.rx.drops", "{packet}", "Frames for the port dropped (RX ring full or not bound)", s => s.RxDrops);
        Counter("netmap.vale.port.tx.packets", "{packet}", "Frames the port sent into the switch", s => s.TxPackets);
        Counter("netmap.vale.port.tx.bytes", "By", "Bytes the port sent into the switch", s => s.TxBytes);
        Counter("netmap.vale.port.tx.drops", "{packet}", "Frames from the port the switch dropped (lookup drop, runt, unknown port)", s => s.TxDrops);
    }

    private static void Counter(string name, string unit, string description, Func<Abi.NmReqValePortStats, ulong> pick)
        => s_meter.CreateObservableCounter(name, () => Observe(pick), unit, description);

    private static IEnumerable<Measurement<long>> Observe(Func<Abi.NmReqValePortStats, ulong> pick)
    {
        List<ValePort> ports = new();
        lock (s_lock)
            foreach (var sys in s_systems) ports.AddRange(sys.SnapshotPorts);
        foreach (var p in ports)
        {
            var sw = p.Switch;
            yield return new Measurement<long>((long)pick(p.Stats()),
                new KeyValuePair<string, object?>("switch", sw?.Name ?? ""),
                new KeyValuePair<string, object?>("port", p.Name));
        }
    }

    public static void Register(ValeSystem system) { lock (s_lock) s_systems.Add(system); }

    public static void Unregister(ValeSystem system) { lock (s_lock) s_systems.Remove(system); }
}
