using System.Globalization;

namespace Netmap.Hosting.Daemon;

/// <summary>
/// What netmapd writes next to its socket (<c>netmapd.pid</c> beside <c>netmapd.sock</c>): its pid, its start time in
/// clock ticks since boot (field 22 of /proc/PID/stat, which tells a reused pid apart) and its start time of day.
/// One line, "PID TICKS ISO-8601-TIME". A clean stop removes it with the socket; a daemon that died leaves both, and
/// the client that finds them reports the death when it starts the next daemon.
/// </summary>
internal sealed record DaemonRecord(int Pid, long StartTicks, DateTimeOffset Started)
{
    /// <summary>The record of the daemon listening on <paramref name="socketPath"/>: the socket's name with ".sock"
    /// replaced by (or, without it, followed by) ".pid".</summary>
    public static string PathFor(string socketPath)
    {
        string name = Path.GetFileName(socketPath);
        string stem = name.EndsWith(".sock", StringComparison.Ordinal) ? name[..^5] : name;
        return Path.Combine(Path.GetDirectoryName(socketPath) ?? "/", stem + ".pid");
    }

    public static DaemonRecord ForThisProcess()
        => new(Environment.ProcessId, StartTicksOf(Environment.ProcessId) ?? 0, DateTimeOffset.Now);

    /// <summary>Writes the record (a temporary file renamed into place: a reader never sees half of it).</summary>
    public void Write(string path)
    {
        string tmp = path + ".tmp" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture);
        File.WriteAllText(tmp, $"{Pid} {StartTicks} {Started.ToString("o", CultureInfo.InvariantCulture)}\n");
        File.Move(tmp, path, overwrite: true);
    }

    /// <summary>The record at <paramref name="path"/>, or null when there is none or it is not one.</summary>
    public static DaemonRecord? Read(string path)
    {
        string text;
        try { text = File.ReadAllText(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; }
        var f = text.Trim().Split(' ');
        if (f.Length != 3
            || !int.TryParse(f[0], NumberStyles.None, CultureInfo.InvariantCulture, out int pid) || pid <= 0
            || !long.TryParse(f[1], NumberStyles.None, CultureInfo.InvariantCulture, out long ticks)
            || !DateTimeOffset.TryParse(f[2], CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var started))
            return null;
        return new DaemonRecord(pid, ticks, started);
    }

    /// <summary>True while the recorded process runs (same pid, same start time).</summary>
    public bool IsAlive => StartTicksOf(Pid) is long t && t == StartTicks;

    /// <summary>"netmapd (pid 1234, started 12:00:01)" (the date too when it was not today).</summary>
    public string Describe()
    {
        var local = Started.ToLocalTime();
        string when = local.Date == DateTimeOffset.Now.Date
            ? local.ToString("HH:mm:ss", CultureInfo.InvariantCulture)
            : local.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);
        return $"netmapd (pid {Pid}, started {when})";
    }

    /// <summary>Deletes <paramref name="path"/> if it still records this process (a successor may have replaced it).</summary>
    public static void RemoveIfOurs(string path)
    {
        if (Read(path)?.Pid != Environment.ProcessId) return;
        try { File.Delete(path); } catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
    }

    private static long? StartTicksOf(int pid)
    {
        try
        {
            string s = File.ReadAllText($"/proc/{pid}/stat");
            // Fields after "(comm)": state is field 3, starttime field 22.
            var rest = s[(s.LastIndexOf(')') + 2)..].Split(' ');
            if (rest.Length > 19 && rest[0] != "Z" && long.TryParse(rest[19], NumberStyles.None, CultureInfo.InvariantCulture, out long t)) return t;
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; }
    }
}
