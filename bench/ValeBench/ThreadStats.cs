namespace Netmap.Bench.Vale;

/// <summary>The calling thread's CPU time and involuntary context switches, from /proc/thread-self (no P/Invoke:
/// this project keeps unsafe code in src/Netmap/Interop). CPU time has the kernel's 10 ms resolution: fine for
/// windows of seconds.</summary>
internal static class ThreadStats
{
    public const double TicksPerSecond = 100; // USER_HZ on Linux

    public static (long CpuTicks, long Preempted) Read()
    {
        long cpu = -1, preempted = -1;
        try
        {
            string stat = File.ReadAllText("/proc/thread-self/stat");
            var f = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            cpu = long.Parse(f[11]) + long.Parse(f[12]); // fields 14 (utime) and 15 (stime)
            foreach (var line in File.ReadLines("/proc/thread-self/status"))
                if (line.StartsWith("nonvoluntary_ctxt_switches:", StringComparison.Ordinal))
                    preempted = long.Parse(line.AsSpan(line.IndexOf(':') + 1).Trim());
        }
        catch (Exception e) when (e is IOException or FormatException or IndexOutOfRangeException or UnauthorizedAccessException) { }
        return (cpu, preempted);
    }
}
