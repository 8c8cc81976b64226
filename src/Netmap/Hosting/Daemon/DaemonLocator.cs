using System.Diagnostics;
using Netmap.Abi;
using Netmap.Interop;
using Netmap.Hosting.Daemon;

namespace Netmap;

/// <summary>
/// Finds netmapd's socket and starts the daemon when none answers: NETMAP_SOCKET overrides the path; otherwise
/// /run/netmap/netmapd.sock for root, $XDG_RUNTIME_DIR/netmap/netmapd.sock for others (falling back to
/// /tmp/netmap-UID/). NETMAP_NO_AUTOSTART=1 disables the autostart. NETMAPD_PATH names the executable;
/// otherwise <see cref="DaemonSearchOrder"/> says where netmapd is looked for.
/// </summary>
public static class DaemonLocator
{
    /// <summary>NETMAP_SOCKET: the socket path clients and netmapd use instead of the default.</summary>
    public const string SocketVariable = "NETMAP_SOCKET";
    /// <summary>NETMAP_NO_AUTOSTART: "1" forbids starting netmapd when none answers.</summary>
    public const string NoAutostartVariable = "NETMAP_NO_AUTOSTART";
    /// <summary>NETMAPD_PATH: the netmapd executable to start, instead of searching for it.</summary>
    public const string DaemonPathVariable = "NETMAPD_PATH";
    /// <summary>The socket's file name in the default directories.</summary>
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
        try { return new DaemonChannel(path); }
        catch (NetmapException first) when (first.Errno is Errno.ENOENT or Errno.ECONNREFUSED)
        {
            if (Environment.GetEnvironmentVariable(NoAutostartVariable) == "1")
                throw new NetmapException(first.Errno, $"{path}: no netmapd is listening and {NoAutostartVariable}=1 forbids starting one");
            Start(path);
            var deadline = Stopwatch.StartNew();
            while (true)
            {
                try { return new DaemonChannel(path); }
                catch (NetmapException e) when (e.Errno is Errno.ENOENT or Errno.ECONNREFUSED && deadline.ElapsedMilliseconds < 10_000)
                {
                    Thread.Sleep(20);
                }
            }
        }
    }

    private static readonly object StartLock = new();

    private static void Start(string path)
    {
        lock (StartLock)
        {
            var daemon = FindDaemon() ?? throw new NetmapException(Errno.ENOENT, $"{path}: no netmapd is listening and the netmapd executable was not found (set {DaemonPathVariable}; looked at: {DaemonSearchOrder})");
            string exe = daemon.FileName;
            var psi = new ProcessStartInfo(exe) { UseShellExecute = false, RedirectStandardInput = false, RedirectStandardOutput = true, RedirectStandardError = true };
            if (daemon.Assembly is not null) psi.ArgumentList.Add(daemon.Assembly);
            psi.ArgumentList.Add("--socket");
            psi.ArgumentList.Add(path);
            psi.ArgumentList.Add("--detach");
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

    /// <summary>Where netmapd is looked for when none answers, in this order (for messages and docs).</summary>
    internal const string DaemonSearchOrder =
        "$NETMAPD_PATH; netmapd next to the program; netmapd/netmapd.dll next to the program (the Netmap package puts it " +
        "there; run with the program's dotnet); netmapd on $PATH; ~/.dotnet/tools/netmapd (dotnet tool install -g Netmap.Daemon)";

    /// <summary>The netmapd to start: an executable, or an assembly (<see cref="DaemonCommand.Assembly"/>) for the
    /// dotnet host; null when there is none (see <see cref="DaemonSearchOrder"/>).</summary>
    internal static DaemonCommand? FindDaemon()
        => FindDaemon(Environment.GetEnvironmentVariable(DaemonPathVariable),
            [AppContext.BaseDirectory, Path.GetDirectoryName(Environment.ProcessPath) ?? ""],
            Environment.GetEnvironmentVariable("PATH") ?? "",
            Environment.GetEnvironmentVariable("DOTNET_CLI_HOME") is { Length: > 0 } cliHome ? cliHome : Environment.GetEnvironmentVariable("HOME"),
            DotnetHost);

    /// <summary><see cref="FindDaemon()"/> over explicit inputs (tests).</summary>
    internal static DaemonCommand? FindDaemon(string? daemonPath, IReadOnlyList<string> programDirectories, string pathVariable,
        string? home, Func<string?> dotnetHost)
    {
        if (!string.IsNullOrEmpty(daemonPath)) return new DaemonCommand(daemonPath, null);
        foreach (var dir in programDirectories)
        {
            if (dir.Length == 0) continue;
            var c = Path.Combine(dir, "netmapd");
            if (File.Exists(c)) return new DaemonCommand(c, null);
        }
        foreach (var dir in programDirectories)
        {
            if (dir.Length == 0) continue;
            var dll = Path.Combine(dir, "netmapd", "netmapd.dll");
            if (File.Exists(dll) && dotnetHost() is { } host) return new DaemonCommand(host, dll);
        }
        foreach (var dir in pathVariable.Split(':'))
        {
            if (dir.Length == 0) continue;
            var c = Path.Combine(dir, "netmapd");
            if (File.Exists(c)) return new DaemonCommand(c, null);
        }
        if (!string.IsNullOrEmpty(home))
        {
            var tool = Path.Combine(home, ".dotnet", "tools", "netmapd");
            if (File.Exists(tool)) return new DaemonCommand(tool, null);
        }
        return null;
    }

    /// <summary>The dotnet host (muxer) of the runtime running this process: the process itself when it is dotnet,
    /// else the dotnet three levels above the runtime directory (DOTNET_ROOT/shared/Microsoft.NETCore.App/VERSION),
    /// else $DOTNET_ROOT/dotnet, else null (a self-contained program has none).</summary>
    private static string? DotnetHost()
    {
        if (Environment.ProcessPath is { } self && Path.GetFileName(self) == "dotnet") return self;
        var fromRuntime = Path.GetFullPath(Path.Combine(System.Runtime.InteropServices.RuntimeEnvironment.GetRuntimeDirectory(), "..", "..", "..", "dotnet"));
        if (File.Exists(fromRuntime)) return fromRuntime;
        var root = Environment.GetEnvironmentVariable("DOTNET_ROOT");
        if (!string.IsNullOrEmpty(root) && File.Exists(Path.Combine(root, "dotnet"))) return Path.Combine(root, "dotnet");
        return null;
    }
}
