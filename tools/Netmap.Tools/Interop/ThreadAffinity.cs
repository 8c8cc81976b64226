using System.Runtime.InteropServices;

namespace Netmap.Tools.Interop;

/// <summary>sched_setaffinity(2) for the calling thread.</summary>
internal static unsafe partial class ThreadAffinity
{
    [LibraryImport("libc", EntryPoint = "sched_setaffinity", SetLastError = true)]
    private static partial int sched_setaffinity(int pid, nuint cpusetsize, ulong* mask);

    /// <summary>Sets the calling thread's CPU mask to the CPUs in <paramref name="cpus"/> (each 0..1023).</summary>
    public static bool Set(ReadOnlySpan<int> cpus)
    {
        const int words = 16; // 1024 CPUs, glibc's cpu_set_t
        ulong* mask = stackalloc ulong[words];
        for (int i = 0; i < words; i++) mask[i] = 0;
        foreach (int cpu in cpus)
        {
            if ((uint)cpu >= words * 64) return false;
            mask[cpu / 64] |= 1UL << (cpu % 64);
        }
        return sched_setaffinity(0, words * sizeof(ulong), mask) == 0;
    }
}
