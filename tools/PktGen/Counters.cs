namespace Netmap.Tools.PktGen;

/// <summary>
/// netmap's struct my_ctrs for the one working thread: written by the worker with plain stores (64-bit stores
/// are atomic on the platforms we run on), sampled by <see cref="RateReporter"/> with volatile reads.
/// </summary>
public sealed class Counters
{
    /// <summary>min_space value meaning "no sample in this interval" (netmap's 99999).</summary>
    public const long NoSpace = 99999;

    /// <summary>Packets moved (complete packets for rx).</summary>
    public long Packets;
    /// <summary>Frame bytes moved (all fragments).</summary>
    public long Bytes;
    /// <summary>Batches: sync rounds that moved at least one packet on a ring.</summary>
    public long Events;
    /// <summary>Smallest ring space seen at sync time since the last report (tx: free slots to write;
    /// rx: free room for incoming slots). Reset to <see cref="NoSpace"/> by the reporter.</summary>
    public long MinSpace = NoSpace;
    /// <summary>Seconds between the start of the main loop (rx: the first packet) and its end.</summary>
    public double Seconds;
    /// <summary>Slots skipped because their buffer index was invalid (a peer, or another process mapping the region,
    /// wrote it): they go out empty (tx) or are consumed without being read (ping/pong).</summary>
    public long BadSlots;
    /// <summary>The loop ended normally (netmap's targ->completed).</summary>
    public bool Completed;

    /// <summary>Records a space sample (worker thread).</summary>
    public void SampleSpace(long space)
    {
        if (space < MinSpace) MinSpace = space;
    }
}
