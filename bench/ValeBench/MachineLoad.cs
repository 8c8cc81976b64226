namespace Netmap.Bench.Vale;

/// <summary>CPU accounting over a window: the whole machine's busy time against this process's, from /proc, so that
/// a figure can be read with the other engineers' load beside it.</summary>
internal readonly record struct MachineLoad(long MachineBusy, long MachineTotal, long Ours)
{
    /// <summary>CPUs of the machine (not of this process's affinity mask, which taskset may have narrowed).</summary>
    public static readonly int MachineCpus = CountCpus();

    private static int CountCpus()
    {
        try { return Math.Max(1, File.ReadLines("/proc/stat").Count(l => l.StartsWith("cpu", StringComparison.Ordinal) && char.IsAsciiDigit(l[3]))); }
        catch (IOException) { return Environment.ProcessorCount; }
    }

    public static MachineLoad Take()
    {
        long busy = 0, total = 0, ours = 0;
        try
        {
            var cpu = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries);
            for (int i = 1; i <= 8 && i < cpu.Length; i++)
            {
                long v = long.Parse(cpu[i]);
                total += v;
                if (i is not (4 or 5)) busy += v; // idle, iowait
            }
            string self = File.ReadAllText("/proc/self/stat");
            var f = self[(self.LastIndexOf(')') + 2)..].Split(' ');
            ours = long.Parse(f[11]) + long.Parse(f[12]);
        }
        catch (Exception e) when (e is IOException or FormatException or InvalidOperationException) { }
        return new MachineLoad(busy, total, ours);
    }

    /// <summary>"machine 187% busy of 200% (ours 150%, others 37%)" between <paramref name="a"/> and <paramref name="b"/>.</summary>
    public static string Describe(MachineLoad a, MachineLoad b)
    {
        double total = b.MachineTotal - a.MachineTotal;
        if (total <= 0) return "machine load unknown";
        int cpus = MachineCpus;
        double busy = 100.0 * cpus * (b.MachineBusy - a.MachineBusy) / total;
        double ours = 100.0 * cpus * (b.Ours - a.Ours) / total;
        return $"machine {busy:F0}% busy of {100 * cpus}% (ours {ours:F0}%, others {Math.Max(0, busy - ours):F0}%)";
    }

    /// <summary>Others' share of the machine in percent of one CPU (for the summary).</summary>
    public static double Others(MachineLoad a, MachineLoad b)
    {
        double total = b.MachineTotal - a.MachineTotal;
        if (total <= 0) return double.NaN;
        int cpus = MachineCpus;
        return Math.Max(0, 100.0 * cpus * (b.MachineBusy - a.MachineBusy - (b.Ours - a.Ours)) / total);
    }
}
