using System.Diagnostics.Metrics;
using Netmap.Api;
using static Netmap.Tests.Vale.ValeFrames;

namespace Netmap.Tests.Vale;

/// <summary>
/// The meter "Netmap.Vale": per-port counters as observable instruments tagged with the switch and the port, read
/// when a listener collects. Other tests' ports are in the same process: this one uses switch names of its own.
/// </summary>
public class ValeMetricsTests
{
    /// <summary>Collects once; returns instrument name → (switch, port) → value, for this meter only.</summary>
    private static Dictionary<string, Dictionary<(string Switch, string Port), long>> Collect()
    {
        var result = new Dictionary<string, Dictionary<(string, string), long>>();
        var units = new Dictionary<string, string?>();
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == "Netmap.Vale") l.EnableMeasurementEvents(instrument);
            },
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            string? sw = null, port = null;
            foreach (var t in tags)
            {
                if (t.Key == "switch") sw = t.Value as string;
                else if (t.Key == "port") port = t.Value as string;
            }
            Assert.NotNull(sw);
            Assert.NotNull(port);
            lock (result)
            {
                if (!result.TryGetValue(instrument.Name, out var d)) result[instrument.Name] = d = new();
                d[(sw!, port!)] = value;
            }
        });
        listener.Start();
        listener.RecordObservableInstruments();
        return result;
    }

    private static long Value(Dictionary<string, Dictionary<(string, string), long>> m, string instrument, string sw, string port)
    {
        Assert.True(m.TryGetValue(instrument, out var d), $"no instrument {instrument}");
        Assert.True(d.TryGetValue((sw, port), out long v), $"{instrument} has no measurement for {sw}/{port}");
        return v;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Counters_AreObservedPerPort_WithSwitchAndPortTags(bool daemon)
    {
        string sw = daemon ? "valemetricsd" : "valemetricse";
        using var h = new ValeTestHost(daemon);
        using var a = NetmapPort.Open($"{sw}:a", h.Host);
        using var b = NetmapPort.Open($"{sw}:b@conf:rx-slots=16", h.Host);
        for (int i = 0; i < 10; i++) Assert.True(a.Inject(Frame(Broadcast, Mac(0xa), 100)));
        Assert.True(a.Inject(Frame(Broadcast, Mac(0xa), 10))); // a runt: dropped at the source
        WaitTxDrained(a);
        for (int i = 0; i < 20; i++) Assert.True(a.Inject(Frame(Broadcast, Mac(0xa), 60))); // 5 fit, 15 dropped at b
        WaitTxDrained(a);

        var m = Collect();
        string pa = $"{sw}:a", pb = $"{sw}:b";
        Assert.Equal(31, Value(m, "netmap.vale.port.tx.packets", sw, pa));
        Assert.Equal(10 * 100 + 10 + 20 * 60, Value(m, "netmap.vale.port.tx.bytes", sw, pa));
        Assert.Equal(1, Value(m, "netmap.vale.port.tx.drops", sw, pa));
        Assert.Equal(15, Value(m, "netmap.vale.port.rx.packets", sw, pb));
        Assert.Equal(10 * 100 + 5 * 60, Value(m, "netmap.vale.port.rx.bytes", sw, pb));
        Assert.Equal(15, Value(m, "netmap.vale.port.rx.drops", sw, pb));
        Assert.Equal(0, Value(m, "netmap.vale.port.rx.packets", sw, pa));
        Assert.Equal(0, Value(m, "netmap.vale.port.tx.packets", sw, pb));

        // The same numbers as the port's own counters (VALE_PORT_STATS).
        var sb = Stats(h, pb);
        Assert.Equal((15UL, 15UL), (sb.RxPackets, sb.RxDrops));
    }

    [Fact]
    public void ClosedPorts_AreNoLongerObserved_AndUnattachedPersistentPortsHaveNoSwitch()
    {
        using var h = new ValeTestHost(false);
        var a = NetmapPort.Open("valemetricsx:a", h.Host);
        Assert.Equal(0, Value(Collect(), "netmap.vale.port.rx.packets", "valemetricsx", "valemetricsx:a"));
        a.Dispose();
        Assert.DoesNotContain(Collect().GetValueOrDefault("netmap.vale.port.rx.packets") ?? new(), kv => kv.Key.Port == "valemetricsx:a");

        NetmapControl.NewInterface("metricsp", host: h.Host);
        Assert.Equal(0, Value(Collect(), "netmap.vale.port.rx.drops", "", "metricsp"));
        NetmapControl.ValeAttach("valemetricsx:metricsp", host: h.Host);
        Assert.Equal(0, Value(Collect(), "netmap.vale.port.rx.drops", "valemetricsx", "metricsp"));
    }
}
