namespace Netmap.Interop;

/// <summary>Small process facts from libc.</summary>
internal static class ProcessInfo
{
    public static bool IsRoot => Libc.geteuid() == 0;
    public static uint EffectiveUid => Libc.geteuid();

    /// <summary>The effective gid of <paramref name="pid"/> (0 = this process), then its supplementary groups, from
    /// /proc/PID/status; empty when it cannot be read (the process is gone).</summary>
    public static uint[] Groups(int pid)
    {
        try
        {
            var list = new List<uint>();
            foreach (var line in File.ReadLines(pid > 0 ? $"/proc/{pid}/status" : "/proc/self/status"))
            {
                // "Gid:\treal\teffective\tsaved\tfs", "Groups:\tg1 g2 ..."
                if (line.StartsWith("Gid:", StringComparison.Ordinal))
                {
                    var f = line[4..].Split((char[])['\t', ' '], StringSplitOptions.RemoveEmptyEntries);
                    if (f.Length > 1 && uint.TryParse(f[1], out uint egid)) list.Insert(0, egid);
                }
                else if (line.StartsWith("Groups:", StringComparison.Ordinal))
                {
                    foreach (var g in line[7..].Split((char[])['\t', ' '], StringSplitOptions.RemoveEmptyEntries))
                        if (uint.TryParse(g, out uint gid)) list.Add(gid);
                }
            }
            return list.ToArray();
        }
        catch (IOException) { return []; }
        catch (UnauthorizedAccessException) { return []; }
    }
}
