namespace Netmap.Bench.Vale;

/// <summary>What one measurement sets up: the host, the ports and who sends to whom.</summary>
/// <param name="Kind">unicast (1 -> 1), broadcast (1 -> 2), nto1 (N -> 1), daemon (1 -> 1 through an in-process netmapd).</param>
/// <param name="Senders">Sender threads (and ports): N for nto1, else 1.</param>
internal sealed record BenchMode(string Kind, int Senders)
{
    public bool Daemon => Kind == "daemon";
    public int Receivers => Kind == "broadcast" ? 2 : 1;
    public bool FloodsOnPurpose => Kind == "broadcast";

    /// <summary>The summary metric's stem: vale_embedded_unicast_60, vale_embedded_n2to1_60, vale_daemon_inproc_unicast_60.</summary>
    public string Metric(int size) => Kind switch
    {
        "daemon" => $"vale_daemon_inproc_unicast_{size}",
        "nto1" => $"vale_embedded_n{Senders}to1_{size}",
        _ => $"vale_embedded_{Kind}_{size}",
    };

    public override string ToString() => Kind == "nto1" ? $"nto1 {Senders}" : Kind;
}
