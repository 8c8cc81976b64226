using Netmap.Abi;

namespace Netmap.Tools.ValeCtl;

/// <summary>
/// vale-ctl's command line, parsed like netmap's getopt string "d:a:h:g:l:n:r:C:p:P:m:v" (grouped flags "-vv" and
/// attached values "-avale0:p" work; the last command option wins; any non-option argument is an error), plus
/// our extensions <c>-S [vale-port]</c> (per-port counters) and <c>--help</c>. No arguments at all means "list
/// every port" (netmap's list, then our extension: persistent ports attached to no switch). Our <c>-M mode</c> gives
/// what -n and -a create octal mode bits like a file's (who besides the creator may see and use it). -C and -m are kept
/// as text: they are interpreted for the command that uses them
/// (<see cref="ParseRingConfig"/>, <see cref="ParsePollingConfig"/>, the runner's mem_id lookup).
/// </summary>
public sealed class ValeCtlOptions
{
    /// <summary>The request to send.</summary>
    public ValeCtlCommand Command { get; private set; }
    /// <summary>The argument of the command option (nr_name, sent as is); null for the whole list and a bare -S.</summary>
    public string? Name { get; private set; }
    /// <summary>-C as given: txslots[,rxslots[,txrings[,rxrings]]] for -n/-a/-h, mode,cpu[,count] for -p.</summary>
    public string? Config { get; private set; }
    /// <summary>-m as given: a number, or a port spec ("netmap:p{1", "vale0:x") whose mem_id is used.</summary>
    public string? MemId { get; private set; }
    /// <summary>nr_mode for -a (ALL_NIC) and -h (NIC_SW).</summary>
    public RegisterMode Mode { get; private set; } = RegisterMode.AllNic;
    /// <summary>-v count: prints what the engine wrote back for -n, -a, -h, -d.</summary>
    public int Verbose { get; private set; }
    /// <summary>-M: mode bits (0..0777) for what -n / -a create; null = netmapd's default.</summary>
    public uint? Access { get; private set; }
    /// <summary>--help: print <see cref="Usage"/> on stdout and exit 0.</summary>
    public bool Help { get; private set; }

    // S:: = our -S with an optional value: attached ("-Svale0:a") or the next word when it is not an option.
    private const string OptString = "d:a:h:g:l:n:r:C:p:P:m:M:vS::";

    /// <summary>
    /// Parses <paramref name="args"/> (without the program name). False on a bad command line: then
    /// <paramref name="error"/> is a one-line message, or empty where netmap's vale-ctl prints only the usage
    /// (no command, stray argument); either way the caller prints <see cref="Usage"/> on stderr and exits 255.
    /// </summary>
    public static bool TryParse(IReadOnlyList<string> args, out ValeCtlOptions options, out string error)
    {
        options = new ValeCtlOptions();
        string? failure = options.ParseInto(args); // null = parsed, "" = usage only, else the message
        error = failure ?? "";
        return failure is null && (options.Help || options.Command != ValeCtlCommand.None);
    }

    private string? ParseInto(IReadOnlyList<string> args)
    {
        if (args.Count == 0)
        {
            Command = ValeCtlCommand.ListAll;
            return null;
        }
        var getopt = new GetOpt(args, OptString);
        while (getopt.Next(out var t))
        {
            switch (t.Kind)
            {
                case GetOptKind.Operand: return ""; // netmap: optind != argc -> usage
                case GetOptKind.LongOption:
                    if (t.Value == "--help") { Help = true; continue; }
                    return $"unrecognized option '{t.Value}'";
                case GetOptKind.UnknownOption: return $"invalid option -- '{t.Option}'";
                case GetOptKind.MissingValue: return t.MissingValueMessage;
            }
            string? err = Apply(t.Option, t.Value);
            if (err is not null) return err;
        }
        return null;
    }

    private string? Apply(char ch, string? v)
    {
        switch (ch)
        {
            case 'd': Set(ValeCtlCommand.Detach, v); return null;
            case 'a': Set(ValeCtlCommand.Attach, v); Mode = RegisterMode.AllNic; return null;
            case 'h': Set(ValeCtlCommand.Attach, v); Mode = RegisterMode.NicAndSoftware; return null;
            case 'n': Set(ValeCtlCommand.Create, v); return null;
            case 'r': Set(ValeCtlCommand.Remove, v); return null;
            case 'g': Set(ValeCtlCommand.Info, v); return null;
            case 'p': Set(ValeCtlCommand.PollingEnable, v); return null;
            case 'P': Set(ValeCtlCommand.PollingDisable, v); return null;
            case 'S': Set(ValeCtlCommand.Stats, v); return null;
            case 'l':
                Set(ValeCtlCommand.List, v);
                if (!v!.StartsWith(NetmapConstants.BridgeNamePrefix, StringComparison.Ordinal))
                    return $"invalid vale port name: '{v}'";
                return null;
            case 'C': Config = v; return null;
            case 'm': MemId = v; return null;
            case 'M':
                Access = Netmap.PortSpecParser.ParseMode(v!);
                return Access is null ? $"invalid mode '{v}' for -M (octal, 0..0777, e.g. 0660)" : null;
            case 'v': Verbose++; return null;
            default: return $"invalid option -- '{ch}'";
        }
    }

    private void Set(ValeCtlCommand command, string? name)
    {
        Command = command;
        Name = name;
    }

    /// <summary>
    /// -C for -n, -a, -h: "txslots[,rxslots[,txrings[,rxrings]]]", as netmap's vale-ctl reads it: comma-separated
    /// fields (empty fields skipped, like strtok), each read with C's atoi (leading number, else 0); the first
    /// sets both slot counts, the third both ring counts. Fields after the fourth are ignored, each with a
    /// "ignored config: FIELD" warning. Null or empty = all zero (the engine's defaults). MemId is left 0.
    /// </summary>
    public static NmReqValeNewInterface ParseRingConfig(string? config, out IReadOnlyList<string> warnings)
    {
        var r = new NmReqValeNewInterface();
        var w = new List<string>();
        warnings = w;
        if (string.IsNullOrEmpty(config)) return r;
        int i = 0;
        foreach (var tok in config.Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            int v = CNumbers.Atoi(tok);
            switch (i++)
            {
                case 0: r.TxSlots = r.RxSlots = unchecked((uint)v); break;
                case 1: r.RxSlots = unchecked((uint)v); break;
                case 2: r.TxRings = r.RxRings = unchecked((ushort)v); break;
                case 3: r.RxRings = unchecked((ushort)v); break;
                default: w.Add($"ignored config: {tok}"); break;
            }
        }
        return r;
    }

    /// <summary>
    /// -C for -p: "mode,first_cpu[,count]" as netmap's vale-ctl reads it: mode 0 = NETMAP_POLLING_MODE_SINGLE_CPU,
    /// anything else = MULTI_CPU; count only in multi-CPU mode. Single-CPU mode sends count 1, which is what the
    /// engine's rule (netmap's: single-CPU polling takes exactly one CPU) accepts — netmap's own vale-ctl sends 0 there
    /// and is refused with EINVAL. Problems are warnings, as in netmap, and the request is still sent with what was
    /// read: "invalid null/empty config" (all zero), "too many numbers in 'CONFIG'" (the rest ignored).
    /// </summary>
    public static NmReqValePolling ParsePollingConfig(string? config, out IReadOnlyList<string> warnings)
    {
        var p = new NmReqValePolling();
        var w = new List<string>();
        warnings = w;
        if (string.IsNullOrEmpty(config))
        {
            w.Add("invalid null/empty config");
            return p;
        }
        int i = 0;
        foreach (var tok in config.Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            int v = CNumbers.Atoi(tok);
            switch (i++)
            {
                case 0:
                    p.Mode = v != 0 ? NetmapConstants.PollingModeMultiCpu : NetmapConstants.PollingModeSingleCpu;
                    if (p.Mode == NetmapConstants.PollingModeSingleCpu) p.NumPollingCpus = 1;
                    break;
                case 1: p.FirstCpuId = unchecked((uint)v); break;
                case 2 when p.Mode == NetmapConstants.PollingModeMultiCpu: p.NumPollingCpus = unchecked((uint)v); break;
                default:
                    w.Add($"too many numbers in '{config}'");
                    return p;
            }
        }
        return p;
    }

    /// <summary>The usage text (netmap's, with the -C/-m/-p details spelled out and our extensions marked).</summary>
    public static string Usage { get; } =
        "Usage:\n" +
        "vale-ctl [arguments]\n" +
        "\t-g interface\tinterface name to get info (PORT_INFO_GET)\n" +
        "\t-d interface\tinterface name to be detached (valeX:Y)\n" +
        "\t-a interface\tinterface name to be attached (valeX:Y)\n" +
        "\t-h interface\tinterface name to be attached with the host stack (valeX:Y)\n" +
        "\t-n interface\tinterface name to be created (persistent VALE port)\n" +
        "\t-r interface\tinterface name to be deleted\n" +
        "\t-l vale-port\tshow bridge and port indices\n" +
        "\t-C string\tring/slot setting for -n, -a, -h: txslots[,rxslots[,txrings[,rxrings]]]\n" +
        "\t-p interface\tstart polling. Additional -C x,y[,z] configures\n" +
        "\t\t x: 0 (single CPU) or 1 (multiple CPUs),\n" +
        "\t\t y: first CPU core id (and ring),\n" +
        "\t\t z: (multiple CPUs only) number of cores/rings\n" +
        "\t-P interface\tstop polling\n" +
        "\t-m memid\tmemory region for -n, -a, -h: a mem_id, or a port (netmap:PORT) whose mem_id to use\n" +
        "\t-v\t\tincrease verbosity\n" +
        "with no arguments: list all existing vale ports\n" +
        "Netmap.NET extensions (not in netmap's vale-ctl):\n" +
        "\t-S [vale-port]\tprint the counters of the port, or of every listed port without a name:\n" +
        "\t\t NAME rx_packets N rx_bytes N rx_drops N tx_packets N tx_bytes N tx_drops N\n" +
        "\t-M mode\t\tfor -n, -a: who besides you may see (r) and use (w) what they create, octal like a\n" +
        "\t\t file's mode (default netmapd's --default-mode, 0600: only you and root)\n" +
        "\twith no arguments, persistent ports attached to no switch follow the list, one per line:\n" +
        "\t\t NAME (persistent, not attached)\n" +
        "\t--help\t\tprint this text on stdout and exit\n" +
        "The engine is netmapd at $NETMAP_SOCKET (default /run/netmap/netmapd.sock, or\n" +
        "$XDG_RUNTIME_DIR/netmap/netmapd.sock when not root), started on demand unless NETMAP_NO_AUTOSTART=1.\n";
}
