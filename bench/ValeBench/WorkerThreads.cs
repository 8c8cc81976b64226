namespace Netmap.Bench.Vale;

/// <summary>The engine's VALE forwarding threads ("vale-worker-N"), found by name in /proc/self/task, so that the
/// daemon mode can pin them, charge their CPU time per packet and show where they run.</summary>
internal static class WorkerThreads
{
    /// <summary>Pins every forwarding thread to <paramref name="cpu"/> with taskset(1) on its thread id (the runtime
    /// gives a new thread the process's affinity, not its creator's, and CpuAffinity pins only the calling thread).
    /// Returns null, or why it could not.</summary>
    public static string? Pin(int cpu)
    {
        var tids = Tids();
        if (tids.Count == 0) return "no vale-worker thread found";
        foreach (var tid in tids)
        {
            try
            {
                var psi = new System.Diagnostics.ProcessStartInfo("taskset") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
                foreach (var a in new[] { "-p", "-c", cpu.ToString(), tid }) psi.ArgumentList.Add(a);
                using var p = System.Diagnostics.Process.Start(psi)!;
                string err = p.StandardError.ReadToEnd();
                p.StandardOutput.ReadToEnd();
                if (!p.WaitForExit(5000) || p.ExitCode != 0) return $"taskset -p -c {cpu} {tid} failed: {err.Trim()}";
            }
            catch (System.ComponentModel.Win32Exception e) { return $"taskset: {e.Message}"; }
        }
        return null;
    }

    private static List<string> Tids()
    {
        var list = new List<string>();
        foreach (var dir in Directory.EnumerateDirectories("/proc/self/task"))
        {
            try { if (File.ReadAllText(Path.Combine(dir, "comm")).StartsWith("vale-worker", StringComparison.Ordinal)) list.Add(Path.GetFileName(dir)); }
            catch (IOException) { }
        }
        return list;
    }

    /// <summary>Total CPU ticks (user + system) of every thread whose name starts with "vale-worker", and their
    /// allowed CPUs ("tid 1234 cpus 0").</summary>
    public static (long CpuTicks, string Where) Sample()
    {
        long ticks = 0;
        var where = new List<string>();
        try
        {
            foreach (var dir in Directory.EnumerateDirectories("/proc/self/task"))
            {
                string comm;
                try { comm = File.ReadAllText(Path.Combine(dir, "comm")).Trim(); }
                catch (IOException) { continue; }
                if (!comm.StartsWith("vale-worker", StringComparison.Ordinal)) continue;
                string stat = File.ReadAllText(Path.Combine(dir, "stat"));
                var f = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                ticks += long.Parse(f[11]) + long.Parse(f[12]);
                string cpus = File.ReadLines(Path.Combine(dir, "status")).FirstOrDefault(l => l.StartsWith("Cpus_allowed_list:", StringComparison.Ordinal))?.Split(':')[1].Trim() ?? "?";
                where.Add($"{comm} on cpus {cpus}");
            }
        }
        catch (Exception e) when (e is IOException or FormatException or UnauthorizedAccessException) { }
        return (ticks, string.Join(", ", where));
    }
}
