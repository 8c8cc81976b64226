namespace Netmap.Bench.Vale;

/// <summary>What a worker thread records about itself when it sees a phase change.</summary>
/// <param name="Timestamp">Stopwatch ticks.</param>
/// <param name="CpuTicks">The thread's user + system time, in clock ticks (USER_HZ, 100 per second).</param>
/// <param name="Packets">Packets the thread had sent or received so far.</param>
/// <param name="Preempted">The thread's involuntary context switches so far (another thread took its CPU).</param>
internal readonly record struct ThreadSample(long Timestamp, long CpuTicks, long Packets, long Preempted)
{
    public static ThreadSample Take(long packets)
    {
        var (cpu, preempted) = ThreadStats.Read();
        return new ThreadSample(System.Diagnostics.Stopwatch.GetTimestamp(), cpu, packets, preempted);
    }
}
