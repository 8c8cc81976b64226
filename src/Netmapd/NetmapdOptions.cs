using Netmap.Hosting.Daemon;

namespace Netmapd;

/// <summary>netmapd's command line: --socket PATH, --group NAME|GID, --detach, --verbose/-v, --help.</summary>
internal sealed class NetmapdOptions
{
    /// <summary>Set (to a status file path) in the daemon a <c>--detach</c> launcher starts; see <see cref="Detach"/>.</summary>
    public const string DetachedVariable = "NETMAPD_DETACHED";

    public const string Usage = """
        usage: netmapd [--socket PATH] [--group NAME|GID] [--detach] [--verbose] [--help]

          --socket PATH     listen on PATH (default: $NETMAP_SOCKET, else /run/netmap/netmapd.sock for root,
                            $XDG_RUNTIME_DIR/netmap/netmapd.sock or /tmp/netmap-UID/netmapd.sock for others)
          --group NAME|GID  give the socket file this group (mode 0660), so its members may connect
          --detach          start the daemon in its own session and exit 0 once it listens (1 if it failed)
          -v, --verbose     log connections, disconnections and refused requests
          -h, --help        show this text
        """;

    public string SocketPath { get; set; } = DaemonLocator.SocketPath;
    public string? Group { get; set; }
    public bool Detach { get; set; }
    public bool Verbose { get; set; }
    public bool Help { get; set; }

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
                case "--help" or "-h":
                    o.Help = true;
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
