namespace Netmap.Bench.Vale;

/// <summary>The figures of one measured window.</summary>
internal sealed class RunResult
{
    public required BenchMode Mode { get; init; }
    public required int Run { get; init; }
    public double Seconds { get; set; }
    public long Sent { get; set; }
    public long Received { get; set; }
    public long[] ReceivedPerPort { get; set; } = [];
    /// <summary>Frames for the receiver ports dropped by the switch (RX ring full), from VALE_PORT_STATS.</summary>
    public long RxDrops { get; set; }
    /// <summary>Frames from the sender ports the switch dropped (lookup drop, runt), from VALE_PORT_STATS.</summary>
    public long TxDrops { get; set; }
    /// <summary>Frames delivered to (or dropped for) sender ports: a sign that unicast frames were flooded.</summary>
    public long Flooded { get; set; }
    public double RxMpps => Seconds > 0 ? Received / Seconds / 1e6 : double.NaN;
    public double TxMpps => Seconds > 0 ? Sent / Seconds / 1e6 : double.NaN;
    /// <summary>Sender threads' wall time per packet sent (all senders' windows over all their packets).</summary>
    public double SenderWallNs { get; set; } = double.NaN;
    /// <summary>Sender threads' CPU time (user + system) per packet sent.</summary>
    public double SenderCpuNs { get; set; } = double.NaN;
    public long SenderPreempted { get; set; }
    /// <summary>Receiver threads' CPU time per packet received.</summary>
    public double ReceiverCpuNs { get; set; } = double.NaN;
    /// <summary>Packets per receiver sync that found any (how finely the switch hands them over).</summary>
    public double RxBatch { get; set; } = double.NaN;
    /// <summary>Share of receiver syncs that found nothing, in percent.</summary>
    public double RxEmptyPercent { get; set; } = double.NaN;
    /// <summary>Gaps of 1 ms or more without packets at a receiver, and their share of the window in percent.</summary>
    public long RxStalls { get; set; }
    public double RxStallPercent { get; set; } = double.NaN;
    /// <summary>Daemon mode: the forwarding worker's CPU time per packet sent.</summary>
    public double WorkerCpuNs { get; set; } = double.NaN;
    public string Layout { get; set; } = "";
    public string Load { get; set; } = "";
    public double OthersPercent { get; set; } = double.NaN;
    public List<string> Warnings { get; } = new();
}
