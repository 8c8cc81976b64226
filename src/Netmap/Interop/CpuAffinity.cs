namespace Netmap.Interop;

/// <summary>sched_setaffinity for the calling thread (pkt-gen -a, benchmarks).</summary>
internal static unsafe class CpuAffinity
{
    /// <summary>Pins the calling thread to <paramref name="cpu"/>; false when the kernel refuses.</summary>
    public static bool PinCurrentThread(int cpu)
    {
        if ((uint)cpu >= 64) return false;
        ulong mask = 1UL << cpu;
        return Libc.sched_setaffinity(0, 8, &mask) == 0;
    }

    /// <summary>Lets the calling thread run on every CPU again.</summary>
    public static bool UnpinCurrentThread()
    {
        ulong mask = Environment.ProcessorCount >= 64 ? ulong.MaxValue : (1UL << Environment.ProcessorCount) - 1;
        return Libc.sched_setaffinity(0, 8, &mask) == 0;
    }
}
