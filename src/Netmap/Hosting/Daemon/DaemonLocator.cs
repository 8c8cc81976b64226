using System.Diagnostics;
using Netmap.Abi;
using Netmap.Interop;
using Netmap.Hosting.Daemon;

namespace Netmap;

/// <summary>
/// Finds netmapd, and starts one when none answers. The search, first match wins:
/// <list type="number">
/// <item><c>NETMAP_SOCKET</c> (or the path given to <see cref="NetmapHost.Daemon"/>): that socket only, autostarted there
/// when nobody listens. The daemon's uid is checked; its directory is not (you named the path, you vouch for it).</item>
/// <item>The per-user socket (<see cref="PerUserSocketPath"/>): <c>$XDG_RUNTIME_DIR/netmap/netmapd.sock</c>, else
/// <c>/tmp/netmap-UID/netmapd.sock</c>; for root the system socket.</item>
/// <item>The system socket (<see cref="SystemSocketPath"/>, <c>/run/netmap/netmapd.sock</c>; <c>NETMAP_SYSTEM_SOCKET</c>
/// moves it) when this user may connect to it: a member of the socket's group (<c>netmapd --group</c>).</item>
/// <item>Autostart: <c>netmapd --socket PER-USER-SOCKET --detach</c> (not with <c>NETMAP_NO_AUTOSTART=1</c>), which
/// creates the socket's directory 0700 and refuses an existing one it does not own.</item>
/// </list>
/// Trust (2 and 3): the socket's directory must be a directory owned by you or root that neither group nor others
/// may write, the socket a socket owned by you or root; and whatever the path (1 too), the daemon that answers
/// (SO_PEERCRED) must run as you or root. Anything else is refused with a <see cref="NetmapException"/> (EPERM) naming the
/// path and what is wrong, before a byte is sent. A socket that denies access (EACCES) is named with the group that
/// would grant it. When the autostart replaces a daemon that died (its socket and <c>netmapd.pid</c> left behind),
/// <see cref="Notice"/> says so. <c>NETMAPD_PATH</c> names the executable; otherwise it is looked for next to the
/// program, in the Netmap package's copy there (netmapd/netmapd.dll), on PATH, and as the netmapd .NET tool.
/// </summary>
public static class DaemonLocator
{
    /// <summary>NETMAP_SOCKET: the socket path clients and netmapd use instead of the default.</summary>
    public const string SocketVariable = "NETMAP_SOCKET";
    /// <summary>NETMAP_NO_AUTOSTART: "1" forbids starting netmapd when none answers.</summary>
    public const string NoAutostartVariable = "NETMAP_NO_AUTOSTART";
    /// <summary>NETMAPD_PATH: the netmapd executable to start, instead of searching for it.</summary>
    public const string DaemonPathVariable = "NETMAPD_PATH";
    /// <summary>NETMAP_SYSTEM_SOCKET: moves the system daemon's socket.</summary>
    public const string SystemSocketVariable = "NETMAP_SYSTEM_SOCKET";
    /// <summary>The socket's file name in the default directories.</summary>
    public const string SocketFileName = "netmapd.sock";
    /// <summary>The system daemon's socket unless NETMAP_SYSTEM_SOCKET moves it.</summary>
    public const string DefaultSystemSocketPath = "/run/netmap/" + SocketFileName;
    private const string Override = "(set " + SocketVariable + " to override)";

    /// <summary>The socket a daemon started without --socket listens on, and the one the autostart uses:
    /// NETMAP_SOCKET, else <see cref="PerUserSocketPath"/>.</summary>
    public static string SocketPath => ExplicitSocketPath ?? PerUserSocketPath;

    /// <summary>NETMAP_SOCKET, or null.</summary>
    public static string? ExplicitSocketPath => Environment.GetEnvironmentVariable(SocketVariable) is { Length: > 0 } env ? env : null;

    /// <summary>This user's own daemon: $XDG_RUNTIME_DIR/netmap/netmapd.sock, else /tmp/netmap-UID/netmapd.sock;
    /// root's is the system socket.</summary>
    public static string PerUserSocketPath
    {
        get
        {
            if (ProcessInfo.IsRoot) return SystemSocketPath;
            var xdg = Environment.GetEnvironmentVariable("XDG_RUNTIME_DIR");
            return string.IsNullOrEmpty(xdg) ? $"/tmp/netmap-{ProcessInfo.EffectiveUid}/{SocketFileName}" : Path.Combine(xdg, "netmap", SocketFileName);
        }
    }

    /// <summary>The system daemon's socket (netmapd.service): /run/netmap/netmapd.sock, or NETMAP_SYSTEM_SOCKET.</summary>
    public static string SystemSocketPath
        => Environment.GetEnvironmentVariable(SystemSocketVariable) is { Length: > 0 } env ? env : DefaultSystemSocketPath;

    /// <summary>
    /// Lines for the user about what discovery did behind their back, raised on the opening thread; today one: the
    /// autostart found that the daemon it replaces had died ("netmapd (pid 1234, started 12:00:01) is gone; started a
    /// new one on PATH: switches and persistent ports of the old one are lost"). pkt-gen, vale-ctl and bridge print
    /// them on stderr.
    /// </summary>
    public static event Action<string>? Notice;

    /// <summary>Connects to netmapd (see the class remarks), starting it first if nothing listens and autostart is allowed.</summary>
    internal static DaemonChannel Connect(string? socketPath = null)
        => Discover(socketPath, out var plan) ?? Autostart(plan.Path, ProcessInfo.EffectiveUid, plan.CheckFiles, plan.Miss, plan.SystemDenied);

    /// <summary>Where and how the autostart would start netmapd after <see cref="Discover"/> found none.</summary>
    internal readonly record struct AutostartPlan(string Path, bool CheckFiles, Errno Miss, string? SystemDenied);

    /// <summary>The search of the class remarks without its last step: a channel, or null and where the autostart would
    /// start a daemon (<paramref name="plan"/>). Also what the C interposer's /dev/netmap open uses: it spawns
    /// <see cref="StartCommand"/> itself and searches again.</summary>
    internal static DaemonChannel? Discover(string? socketPath, out AutostartPlan plan)
    {
        uint uid = ProcessInfo.EffectiveUid;
        if ((socketPath ?? ExplicitSocketPath) is { } named)
        {
            var ch = TryConnect(named, uid, checkFiles: false, out var miss, out string? denied);
            plan = new AutostartPlan(named, false, miss, null);
            if (ch is not null) return ch;
            if (miss == Errno.EACCES) throw new NetmapException(Errno.EACCES, denied!);
            return null;
        }
        string perUser = PerUserSocketPath, system = SystemSocketPath;
        var own = TryConnect(perUser, uid, checkFiles: true, out var ownMiss, out string? ownDenied);
        plan = new AutostartPlan(perUser, true, ownMiss, null);
        if (own is not null) return own;
        if (ownMiss == Errno.EACCES) throw new NetmapException(Errno.EACCES, ownDenied!);
        string? systemDenied = null;
        if (system != perUser)
        {
            var shared = TryConnect(system, uid, checkFiles: true, out var sysMiss, out systemDenied);
            if (shared is not null) return shared;
            if (sysMiss != Errno.EACCES) systemDenied = null;
        }
        plan = plan with { SystemDenied = systemDenied };
        return null;
    }

    /// <summary>True when <paramref name="path"/> is one of the sockets the search above connects to (for recognising
    /// a received or inherited connection to netmapd by its peer's address).</summary>
    internal static bool IsDiscoveredPath(string path)
        => path == (ExplicitSocketPath ?? PerUserSocketPath) || (ExplicitSocketPath is null && path == SystemSocketPath);

    /// <summary>The command that starts netmapd for <paramref name="path"/> (executable first), as the autostart runs
    /// it. Throws when autostart is forbidden (NETMAP_NO_AUTOSTART=1) or no executable is found.</summary>
    internal static string[] StartCommand(string path)
    {
        if (Environment.GetEnvironmentVariable(NoAutostartVariable) == "1")
            throw new NetmapException(Errno.ECONNREFUSED, $"{path}: no netmapd is listening and {NoAutostartVariable}=1 forbids starting one");
        var daemon = FindDaemon() ?? throw new NetmapException(Errno.ENOENT, $"{path}: no netmapd is listening and the netmapd executable was not found (set {DaemonPathVariable}; looked at: {DaemonSearchOrder})");
        return daemon.Assembly is null
            ? [daemon.FileName, "--socket", path, "--detach"]
            : [daemon.FileName, daemon.Assembly, "--socket", path, "--detach"];
    }

    /// <summary>
    /// One candidate: null with <paramref name="miss"/> ENOENT/ECONNREFUSED when nobody listens there, EACCES (and
    /// <paramref name="denied"/>) when this user may not connect; a <see cref="NetmapException"/> when it is not to be
    /// trusted. <paramref name="checkFiles"/>: check the directory and the socket file first.
    /// </summary>
    internal static DaemonChannel? TryConnect(string path, uint uid, bool checkFiles, out Errno miss, out string? denied)
    {
        miss = Errno.None;
        denied = null;
        if (checkFiles)
        {
            string dir = Path.GetDirectoryName(path) ?? "/";
            string? bad = SocketTrust.CheckDirectory(dir, uid, allowSticky: false, out bool missing);
            if (bad is not null) throw new NetmapException(Errno.EPERM, $"{dir}: {bad}: refusing to connect {Override}");
            if (missing) { miss = Errno.ENOENT; return null; }
            bad = SocketTrust.CheckSocketFile(path, uid, out missing, out int statErr);
            if (statErr == Libc.EACCES) { miss = Errno.EACCES; denied = Denied(path); return null; }
            if (bad is not null) throw new NetmapException(Errno.EPERM, $"{path}: {bad}: refusing to connect {Override}");
            if (missing) { miss = Errno.ENOENT; return null; }
        }
        SeqPacketSocket socket;
        try
        {
            socket = SeqPacketSocket.Connect(path);
        }
        catch (NetmapException e) when (e.Errno is Errno.ENOENT or Errno.ECONNREFUSED)
        {
            miss = e.Errno;
            return null;
        }
        catch (NetmapException e) when (e.Errno is Errno.EACCES or Errno.EPERM)
        {
            miss = Errno.EACCES;
            denied = Denied(path);
            return null;
        }
        var (_, peerUid, _) = socket.PeerCredentials();
        if (SocketTrust.CheckPeer(peerUid, uid) is { } wrong)
        {
            socket.Dispose();
            throw new NetmapException(Errno.EPERM, $"{path}: {wrong}: refusing to connect");
        }
        return new DaemonChannel(path, socket);
    }

    /// <summary>"PATH: permission denied; members of group G may connect (see netmapd --group)".</summary>
    private static string Denied(string path)
    {
        string? group = null;
        if (FileStatus.Get(path, out var st) == 0) group = GroupFile.NameOf(st.Gid);
        else if (FileStatus.Get(Path.GetDirectoryName(path) ?? "/", out var dst) == 0) group = GroupFile.NameOf(dst.Gid);
        return group is null
            ? $"{path}: permission denied (see netmapd --group)"
            : $"{path}: permission denied; members of group {group} may connect (see netmapd --group)";
    }

    private static DaemonChannel Autostart(string path, uint uid, bool checkFiles, Errno miss, string? systemDenied)
    {
        string also = systemDenied is null ? "" : $" ({systemDenied})";
        if (Environment.GetEnvironmentVariable(NoAutostartVariable) == "1")
            throw new NetmapException(miss, $"{path}: no netmapd is listening and {NoAutostartVariable}=1 forbids starting one{also}");
        // Read before the new daemon overwrites it: a record whose process is gone is a daemon that died.
        var dead = DaemonRecord.Read(DaemonRecord.PathFor(path)) is { IsAlive: false } r ? r : null;
        try
        {
            Start(path);
        }
        catch (NetmapException) when (TryConnect(path, uid, checkFiles, out _, out _) is { } winner)
        {
            // Another process autostarted a daemon on this socket at the same moment and won the bind: use it.
            return winner;
        }
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            var ch = TryConnect(path, uid, checkFiles, out miss, out string? denied);
            if (ch is not null)
            {
                if (dead is not null) Notice?.Invoke($"{dead.Describe()} is gone; started a new one on {path}: switches and persistent ports of the old one are lost");
                return ch;
            }
            if (miss == Errno.EACCES) throw new NetmapException(Errno.EACCES, denied!);
            if (deadline.ElapsedMilliseconds > 10_000)
                throw new NetmapException(miss, $"{path}: the netmapd started there does not answer ({miss}){also}");
            Thread.Sleep(20);
        }
    }

    private static readonly object StartLock = new();

    private static void Start(string path)
    {
        lock (StartLock)
        {
            var command = StartCommand(path);
            string exe = command[0];
            var psi = new ProcessStartInfo(exe) { UseShellExecute = false, RedirectStandardInput = false, RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var arg in command.Skip(1)) psi.ArgumentList.Add(arg);
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
