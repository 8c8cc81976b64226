using Netmap;
using Netmap.Hosting.Daemon;

namespace Netmapd;

/// <summary>netmapd's command line: --socket PATH, --group NAME|GID, --detach, --verbose/-v, --help, the VALE
/// switch's --vale-workers N, --vale-spin-us U, --vale-lookup SWITCH=ASSEMBLY.dll[:TYPE[:ARG]] (repeatable), and the
/// ownership default --default-mode MODE, and the limits (<see cref="NetmapdLimits"/>: --max-connections N,
/// --max-connections-per-user N, the engine's --max-memory-per-user SIZE, ...).</summary>
internal sealed class NetmapdOptions
{
    /// <summary>Set (to a status file path) in the daemon a <c>--detach</c> launcher starts; see <see cref="Detach"/>.</summary>
    public const string DetachedVariable = "NETMAPD_DETACHED";

    public const string Usage = """
        usage: netmapd [--socket PATH] [--group NAME|GID] [--detach] [--verbose] [--help]
                       [--vale-workers N] [--vale-spin-us U] [--vale-lookup SWITCH=ASSEMBLY.dll[:TYPE[:ARG]]]...
                       [--interfaces root|all|none|UID[,UID...]] [--default-mode MODE]
                       [--max-connections N] [--max-connections-per-user N] [--descriptor-reserve N]
                       [--request-threads N] [--max-memory[-per-user] SIZE]
                       [--max-{regions,ports,pipes,extra-buffers,fds}[-per-user] N] [--max-extra-buffers-per-registration N]

          --socket PATH     listen on PATH (default: $NETMAP_SOCKET, else /run/netmap/netmapd.sock for root,
                            $XDG_RUNTIME_DIR/netmap/netmapd.sock or /tmp/netmap-UID/netmapd.sock for others).
                            A missing directory is created 0700 (0750 with --group); an existing one must be
                            owned by netmapd's uid or root and writable by nobody else (sticky /tmp excepted).
                            netmapd.pid beside the socket records the daemon (pid, start time)
          --group NAME|GID  give the socket file this group (mode 0660), so its members may connect; the
                            directory is made searchable by the group when netmapd owns it
          --detach          start the daemon in its own session and exit 0 once it listens (1 if it failed)
          --interfaces WHO  which clients may put Linux interfaces into netmap mode and attach them to
                            switches (netmapd holds the privileges: CAP_NET_ADMIN, CAP_NET_RAW, CAP_BPF):
                            root (default: uid 0 and netmapd's own uid), all (anyone who can connect),
                            none (nobody: netmapd serves only VALE ports and pipes), or a comma-separated
                            list of uids (root and netmapd's uid are always allowed)
          --default-mode MODE
                            who besides its creator may see (r) and use (w) a switch, port, pipe or region
                            made by a request that names no mode (@conf:mode=, vale-ctl -M): octal like a
                            file's mode; default 0600 (the creator and root only), 0660 shares with the
                            creator's group, 0666 with everyone
          -v, --verbose     log connections, disconnections and refused requests
          -h, --help        show this text

        VALE switches (forwarding runs in netmapd: clients' txsyncs only publish):
          --vale-workers N  forwarding threads (default 1, at most 64); each VALE port's TX rings are
                            served by one of them, assigned round robin as ports are created
          --vale-spin-us U  how long an idle forwarding thread polls before it sleeps on its kick lines
                            (default 50 µs; 0 sleeps at once: fewer CPU cycles, a wakeup per burst)
          --vale-lookup SWITCH=ASSEMBLY.dll[:TYPE[:ARG]]
                            forward on switch SWITCH (e.g. vale1) with a custom lookup: TYPE (namespace
                            and name) of ASSEMBLY implementing Netmap.IValeLookup, or the
                            only such type when TYPE is empty; made with its public constructor taking
                            ARG (a string, everything after the second ':') or its parameterless one.
                            The switch is created at start and stays. Repeat for more switches.
                            Exit 1, naming the switch and the assembly, when it cannot be loaded.

        """ + NetmapdLimits.Usage;

    public string SocketPath { get; set; } = DaemonLocator.SocketPath;
    public string? Group { get; set; }
    public bool Detach { get; set; }
    public bool Verbose { get; set; }
    public bool Help { get; set; }
    /// <summary>VALE forwarding threads (engine.UseValeWorkers).</summary>
    public int ValeWorkers { get; set; } = 1;
    /// <summary>How long an idle forwarding thread polls before sleeping, in microseconds.</summary>
    public int ValeSpinMicroseconds { get; set; } = 50;
    /// <summary>Custom lookups to install, one per switch, in command-line order.</summary>
    public List<ValeLookupSpec> ValeLookups { get; } = new();
    /// <summary>Uids allowed to open Linux interfaces besides root and netmapd's own; null = everyone.</summary>
    public HashSet<uint>? InterfaceUids { get; set; } = new();
    /// <summary>--interfaces none: no client may open Linux interfaces.</summary>
    public bool NoInterfaces { get; set; }
    /// <summary>Every cap of the daemon (--max-* and friends).</summary>
    public NetmapdLimits Limits { get; } = new();
    /// <summary>--default-mode: mode bits of objects created without one.</summary>
    public uint DefaultMode { get; set; } = Netmap.Memory.ObjectAccess.DefaultMode;

    public const int MaxValeWorkers = 64;
    public const int MaxValeSpinMicroseconds = 1_000_000;

    /// <summary>Parses <paramref name="args"/>; null with <paramref name="error"/> set on a bad command line.</summary>
    public static NetmapdOptions? Parse(IReadOnlyList<string> args, out string? error)
    {
        error = null;
        var o = new NetmapdOptions();
        for (int i = 0; i < args.Count; i++)
        {
            string a = args[i];
            string? inline = null;
            if (a.StartsWith("--", StringComparison.Ordinal) && a.IndexOf('=') is int eq and > 2)
            {
                inline = a[(eq + 1)..];
                a = a[..eq];
            }
            switch (a)
            {
                case "--socket":
                    if (!TakeValue(args, ref i, inline, a, out var socket, out error)) return null;
                    if (socket.Length == 0) { error = "--socket: empty path"; return null; }
                    o.SocketPath = socket;
                    break;
                case "--group":
                    if (!TakeValue(args, ref i, inline, a, out var group, out error)) return null;
                    if (group.Length == 0) { error = "--group: empty group"; return null; }
                    o.Group = group;
                    break;
                case "--detach":
                    if (inline is not null) { error = "--detach takes no value"; return null; }
                    o.Detach = true;
                    break;
                case "--verbose" or "-v":
                    if (inline is not null) { error = "--verbose takes no value"; return null; }
                    o.Verbose = true;
                    break;
                case "--vale-workers":
                    if (!TakeValue(args, ref i, inline, a, out var workers, out error)) return null;
                    if (!int.TryParse(workers, System.Globalization.NumberStyles.None, null, out int w) || w < 1 || w > MaxValeWorkers)
                    {
                        error = $"--vale-workers: '{workers}' is not a thread count (1..{MaxValeWorkers})";
                        return null;
                    }
                    o.ValeWorkers = w;
                    break;
                case "--vale-spin-us":
                    if (!TakeValue(args, ref i, inline, a, out var spin, out error)) return null;
                    if (!int.TryParse(spin, System.Globalization.NumberStyles.None, null, out int us) || us > MaxValeSpinMicroseconds)
                    {
                        error = $"--vale-spin-us: '{spin}' is not a number of microseconds (0..{MaxValeSpinMicroseconds})";
                        return null;
                    }
                    o.ValeSpinMicroseconds = us;
                    break;
                case "--vale-lookup":
                    if (!TakeValue(args, ref i, inline, a, out var lookup, out error)) return null;
                    var spec = ValeLookupSpec.Parse(lookup, out error);
                    if (spec is null) return null;
                    if (o.ValeLookups.Find(l => l.Switch == spec.Switch) is { } dup)
                    {
                        error = $"--vale-lookup {spec.Switch}: given twice ({dup.AssemblyPath} and {spec.AssemblyPath})";
                        return null;
                    }
                    o.ValeLookups.Add(spec);
                    break;
                case "--interfaces":
                    if (!TakeValue(args, ref i, inline, a, out var who, out error)) return null;
                    o.NoInterfaces = who == "none";
                    if (who == "all") o.InterfaceUids = null;
                    else if (who == "none") o.InterfaceUids = new();
                    else if (who == "root") o.InterfaceUids = new();
                    else
                    {
                        var uids = new HashSet<uint>();
                        foreach (var part in who.Split(','))
                        {
                            if (!uint.TryParse(part, System.Globalization.NumberStyles.None, null, out uint uid))
                            {
                                error = $"--interfaces: '{part}' is not root, all or a uid";
                                return null;
                            }
                            uids.Add(uid);
                        }
                        o.InterfaceUids = uids;
                    }
                    break;
                case var limit when NetmapdLimits.IsFlag(limit):
                    if (!TakeValue(args, ref i, inline, a, out var n, out error)) return null;
                    o.Limits.TrySet(a, n, out error);
                    if (error is not null) return null;
                    break;
                case "--help" or "-h":
                    o.Help = true;
                    break;
                case "--default-mode":
                    if (!TakeValue(args, ref i, inline, a, out var modeText, out error)) return null;
                    if (Netmap.PortSpecParser.ParseMode(modeText) is not uint mode)
                    {
                        error = $"--default-mode: '{modeText}' is not an octal mode 0..0777 (e.g. 0600, 0660)";
                        return null;
                    }
                    o.DefaultMode = mode;
                    break;
                default:
                    error = $"unknown argument '{args[i]}'";
                    return null;
            }
        }
        return o;
    }

    private static bool TakeValue(IReadOnlyList<string> args, ref int i, string? inline, string name, out string value, out string? error)
    {
        error = null;
        if (inline is not null) { value = inline; return true; }
        if (i + 1 >= args.Count) { value = ""; error = $"{name} needs a value"; return false; }
        value = args[++i];
        return true;
    }
}
