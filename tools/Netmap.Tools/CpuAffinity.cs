using Netmap.Tools.Interop;

namespace Netmap.Tools;

/// <summary>pkt-gen's <c>-a</c>: pins the calling thread to one CPU (sched_setaffinity on the thread, as
/// netmap's setaffinity() does with pthread_setaffinity_np).</summary>
public static class CpuAffinity
{
    /// <summary>Pins the calling thread to <paramref name="cpu"/> (0..1023); false when the kernel refuses (no
    /// such CPU, not allowed by the process's cpuset).</summary>
    public static bool PinCurrentThread(int cpu) => cpu >= 0 && ThreadAffinity.Set([cpu]);

    /// <summary>Lets the calling thread run on every online CPU again.</summary>
    public static bool UnpinCurrentThread()
    {
        Span<int> all = stackalloc int[Math.Min(Environment.ProcessorCount, 1024)];
        for (int i = 0; i < all.Length; i++) all[i] = i;
        return ThreadAffinity.Set(all);
    }
}
