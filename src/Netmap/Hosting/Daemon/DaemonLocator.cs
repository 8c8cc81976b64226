using System.Diagnostics;
using Netmap.Abi;
using Netmap.Interop;

namespace Netmap.Hosting.Daemon;

/// <summary>
/// Finds netmapd's socket and starts the daemon when none answers: NETMAP_SOCKET overrides the path; otherwise
/// /run/netmap/netmapd.sock for root, $XDG_RUNTIME_DIR/netmap/netmapd.sock for others (falling back to
/// /tmp/netmap-UID/). NETMAP_NO_AUTOSTART=1 disables the autostart. NETMAPD_PATH names the executable;
/// by default the netmapd next to the running program, then netmapd on PATH.
/// </summary>
public static class DaemonLocator
{
    public const string SocketVariable = "NETMAP_SOCKET";
    public const string NoAutostartVariable = "NETMAP_NO_AUTOSTART";
    public const string DaemonPathVariable = "NETMAPD_PATH";
    public const string SocketFileName = "netmapd.sock";

    /// <summary>The socket path clients use.</summary>
    public static string SocketPath
    {
        get
        {
            var env = Environment.GetEnvironmentVariable(SocketVariable);
            if (!string.IsNullOrEmpty(env)) return env;
            if (ProcessInfo.IsRoot) return "/run/netmap/" + SocketFileName;
            var xdg = Environment.GetEnvironmentVariable("XDG_RUNTIME_DIR");
            return string.IsNullOrEmpty(xdg) ? $"/tmp/netmap-{ProcessInfo.EffectiveUid}/{SocketFileName}" : Path.Combine(xdg, "netmap", SocketFileName);
        }
    }

    /// <summary>Connects to netmapd, starting it first if nothing listens and autostart is allowed.</summary>
    internal static DaemonChannel Connect(string? socketPath = null)
    {
        string path = socketPath ?? SocketPath;
        return new DaemonChannel(ConnectSocket(path), path);
    }

    /// <summary>A connection to netmapd at <paramref name="path"/> (one netmap "open"), starting the daemon first if
    /// nothing listens and autostart is allowed. Also what the C interposer's /dev/netmap open uses.</summary>
    internal static SeqPacketSocket ConnectSocket(string path)
    {
        try { return SeqPacketSocket.Connect(path); }
        catch (NetmapException first) when (first.Errno is Errno.ENOENT or Errno.ECONNREFUSED)
        {
            if (Environment.GetEnvironmentVariable(NoAutostartVariable) == "1")
                throw new NetmapException(first.Errno, $"{path}: no netmapd is listening and {NoAutostartVariable}=1 forbids starting one");
            Start(path);
            var deadline = Stopwatch.StartNew();
            while (true)
            {
                try { return SeqPacketSocket.Connect(path); }
                catch (NetmapException e) when (e.Errno is Errno.ENOENT or Errno.ECONNREFUSED && deadline.ElapsedMilliseconds < 10_000)
                {
                    Thread.Sleep(20);
                }
            }
        }
    }

    /// <summary>Connects to netmapd at <paramref name="path"/>; null when nothing listens there (no autostart).</summary>
    internal static SeqPacketSocket? TryConnectSocket(string path)
    {
        try { return SeqPacketSocket.Connect(path); }
        catch (NetmapException e) when (e.Errno is Errno.ENOENT or Errno.ECONNREFUSED) { return null; }
    }

    /// <summary>The command that starts netmapd for <paramref name="path"/> (executable first): what the autostart runs,
    /// for callers that must spawn it themselves (the C interposer, whose process must not get .NET's child handling).
    /// Throws when autostart is forbidden or no executable is found.</summary>
    internal static string[] StartCommand(string path)
    {
        if (Environment.GetEnvironmentVariable(NoAutostartVariable) == "1")
            throw new NetmapException(Errno.ECONNREFUSED, $"{path}: no netmapd is listening and {NoAutostartVariable}=1 forbids starting one");
        string exe = FindDaemon() ?? throw new NetmapException(Errno.ENOENT, $"{path}: no netmapd is listening and the netmapd executable was not found (set {DaemonPathVariable})");
        return [exe, "--socket", path, "--detach"];
    }

    private static readonly object StartLock = new();

    private static void Start(string path)
    {
        lock (StartLock)
        {
            var command = StartCommand(path);
            string exe = command[0];
            var psi = new ProcessStartInfo(exe) { UseShellExecute = false, RedirectStandardInput = false, RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var a in command.Skip(1)) psi.ArgumentList.Add(a);
            Process? started;
            try { started = Process.Start(psi); }
            catch (System.ComponentModel.Win32Exception e)
            {
                var errno = Enum.IsDefined((Errno)e.NativeErrorCode) ? (Errno)e.NativeErrorCode : Errno.ENOENT;
                throw new NetmapException(errno, $"{path}: no netmapd is listening and {exe} could not be started: {SystemError.Name(e.NativeErrorCode)} (set {DaemonPathVariable})");
            }
            using var p = started ?? throw new NetmapException(Errno.ENOENT, $"{exe}: could not start");
            // --detach: the launcher exits once the daemon listens (or failed); the daemon itself lives on in its own session.
            if (!p.WaitForExit(15_000)) throw new NetmapException(Errno.ETIMEDOUT, $"{exe}: did not report readiness");
            if (p.ExitCode != 0) throw new NetmapException(Errno.ECONNREFUSED, $"{exe}: exited with {p.ExitCode}: {p.StandardError.ReadToEnd().Trim()}");
        }
    }

    private static string? FindDaemon()
    {
        var env = Environment.GetEnvironmentVariable(DaemonPathVariable);
        if (!string.IsNullOrEmpty(env)) return env;
        foreach (var dir in new[] { AppContext.BaseDirectory, Path.GetDirectoryName(Environment.ProcessPath) ?? "" })
        {
            var c = Path.Combine(dir, "netmapd");
            if (File.Exists(c)) return c;
        }
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':'))
        {
            if (dir.Length == 0) continue;
            var c = Path.Combine(dir, "netmapd");
            if (File.Exists(c)) return c;
        }
        return null;
    }
}
