using System.Net.Sockets;
using Netmap.Abi;

namespace Netmap.Tools.ValeCtl;

/// <summary>
/// vale-ctl's main(): one request through <see cref="NetmapControl"/>, its answer on stdout in netmap's format
/// (<see cref="ValeCtlOutput"/>). Exit 0 on success; 255 on a bad command line (usage on stderr, netmap's
/// usage(-1)); 1 on a refused request ("failed to ACTION NAME: STRERROR" on stderr) or when the engine cannot be reached (the host's message).
/// </summary>
public static class ValeCtlRunner
{
    /// <summary>Parses <paramref name="args"/> (without the program name) and runs them against
    /// <paramref name="host"/>; returns the exit code.</summary>
    public static int Run(IReadOnlyList<string> args, NetmapHost host, TextWriter stdout, TextWriter stderr)
    {
        if (!ValeCtlOptions.TryParse(args, out var options, out string error))
        {
            if (error.Length > 0) stderr.WriteLine($"vale-ctl: {error}");
            stderr.Write(ValeCtlOptions.Usage);
            stderr.Flush();
            return ExitStatus.Usage;
        }
        if (options.Help)
        {
            stdout.Write(ValeCtlOptions.Usage);
            stdout.Flush();
            return 0;
        }
        return Run(options, host, stdout, stderr);
    }

    /// <summary>Runs the parsed <paramref name="options"/> against <paramref name="host"/>; returns the exit code.</summary>
    public static int Run(ValeCtlOptions options, NetmapHost host, TextWriter stdout, TextWriter stderr)
    {
        try
        {
            return Execute(options, host, stdout, stderr);
        }
        catch (NetmapException e) when (!IsRefusal(e))
        {
            stderr.WriteLine(e.Message); // the engine could not be reached: the host says where and why
            return 1;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or SocketException or InvalidOperationException)
        {
            stderr.WriteLine($"vale-ctl: {e.Message}");
            return 1;
        }
        finally
        {
            stdout.Flush();
            stderr.Flush();
        }
    }

    private static int Execute(ValeCtlOptions o, NetmapHost host, TextWriter stdout, TextWriter stderr)
    {
        string name = o.Name ?? "";
        switch (o.Command)
        {
            case ValeCtlCommand.ListAll:
                return ListAll(host, stdout, stderr);

            case ValeCtlCommand.List:
            {
                if (!Try(() => NetmapControl.ValeList(name, host), "list", name, stderr, out var at)) return 1;
                WriteLines(stdout, ValeCtlOutput.ListIndices(at.BridgeIndex, at.PortIndex));
                return 0;
            }

            case ValeCtlCommand.Attach:
            {
                var ring = ValeCtlOptions.ParseRingConfig(o.Config, out var warnings);
                WriteLines(stderr, warnings);
                if (!ResolveMemId(o.MemId, host, stderr, out ushort memId)) return 1;
                if (!Try(() => NetmapControl.ValeAttach(name, o.Mode, memId, ring.TxSlots, ring.RxSlots, ring.TxRings, ring.RxRings, host, access: o.Access),
                        "attach", name, stderr, out uint index)) return 1;
                if (o.Verbose > 0) stdout.WriteLine(ValeCtlOutput.PortIndex(index));
                return 0;
            }

            case ValeCtlCommand.Detach:
            {
                if (!Try(() => NetmapControl.ValeDetach(name, host), "detach", name, stderr, out uint index)) return 1;
                if (o.Verbose > 0) stdout.WriteLine(ValeCtlOutput.PortIndex(index));
                return 0;
            }

            case ValeCtlCommand.Create:
            {
                var config = ValeCtlOptions.ParseRingConfig(o.Config, out var warnings);
                WriteLines(stderr, warnings);
                if (!ResolveMemId(o.MemId, host, stderr, out ushort memId)) return 1;
                config.MemId = memId;
                if (!Try(() => NetmapControl.NewInterface(name, config, host, o.Access), "create", name, stderr, out var created)) return 1;
                if (o.Verbose > 0) WriteLines(stdout, ValeCtlOutput.NewInterface(created));
                return 0;
            }

            case ValeCtlCommand.Remove:
                return Try(() => { NetmapControl.DeleteInterface(name, host); return 0; }, "remove", name, stderr, out _) ? 0 : 1;

            case ValeCtlCommand.Info:
            {
                if (!Try(() => NetmapControl.PortInfo(name, 0, host), "obtain info for", name, stderr, out var info)) return 1;
                WriteLines(stdout, ValeCtlOutput.PortInfo(info));
                return 0;
            }

            case ValeCtlCommand.PollingEnable:
            {
                var polling = ValeCtlOptions.ParsePollingConfig(o.Config, out var warnings);
                WriteLines(stderr, warnings);
                return Try(() => { NetmapControl.PollingEnable(name, polling, host); return 0; }, "enable polling on", name, stderr, out _) ? 0 : 1;
            }

            case ValeCtlCommand.PollingDisable:
                return Try(() => { NetmapControl.PollingDisable(name, host); return 0; }, "disable polling on", name, stderr, out _) ? 0 : 1;

            case ValeCtlCommand.Stats:
                return o.Name is null ? StatsAll(host, stdout, stderr) : StatsOne(o.Name, host, stdout, stderr) ? 0 : 1;

            default:
                stderr.Write(ValeCtlOptions.Usage);
                return ExitStatus.Usage;
        }
    }

    /// <summary>Every port, one line each, as they come; a refusal other than the end of the list stops it.</summary>
    private static int ListAll(NetmapHost host, TextWriter stdout, TextWriter stderr)
    {
        try
        {
            foreach (var port in NetmapControl.ValeListAll(host))
                stdout.WriteLine(ValeCtlOutput.ListLine(port));
            foreach (var port in NetmapControl.ValeListUnattached(host))
                stdout.WriteLine(ValeCtlOutput.UnattachedLine(port));
            return 0;
        }
        catch (NetmapException e) when (IsRefusal(e))
        {
            stderr.WriteLine(ValeCtlOutput.Failure("list all", null, e.Errno));
            return 1;
        }
    }

    private static bool StatsOne(string name, NetmapHost host, TextWriter stdout, TextWriter stderr)
    {
        if (!Try(() => NetmapControl.ValePortStats(name, host), "obtain stats for", name, stderr, out var stats)) return false;
        stdout.WriteLine(ValeCtlOutput.Stats(name, stats));
        return true;
    }

    /// <summary>-S without a name: a line for every listed port. A port that vanishes between the list and its
    /// stats request is reported and skipped (exit 1 at the end).</summary>
    private static int StatsAll(NetmapHost host, TextWriter stdout, TextWriter stderr)
    {
        List<ValePortListing> ports;
        try
        {
            ports = NetmapControl.ValeListAll(host).ToList();
        }
        catch (NetmapException e) when (IsRefusal(e))
        {
            stderr.WriteLine(ValeCtlOutput.Failure("list all", null, e.Errno));
            return 1;
        }
        bool ok = true;
        foreach (var port in ports) ok &= StatsOne(port.Name, host, stdout, stderr);
        return ok ? 0 : 1;
    }

    /// <summary>
    /// -m: none = 0; starting with a digit = atoi (as netmap's vale-ctl); otherwise a port spec whose nr_mem_id is
    /// asked with PORT_INFO_GET (libnetmap's nmreq_get_mem_id). False, with the message on stderr, on failure.
    /// </summary>
    private static bool ResolveMemId(string? memId, NetmapHost host, TextWriter stderr, out ushort id)
    {
        id = 0;
        if (memId is null) return true;
        if (memId.Length > 0 && char.IsAsciiDigit(memId[0]))
        {
            id = unchecked((ushort)CNumbers.Atoi(memId));
            return true;
        }
        if (!PortSpecParser.TryParse(memId, out _, out _))
        {
            stderr.WriteLine($"invalid format in '-m {memId}' (missing 'netmap:'?)");
            return false;
        }
        try
        {
            id = NetmapPort.PortInfo(memId, host).MemId;
            return true;
        }
        catch (NetmapException e) when (IsRefusal(e))
        {
            stderr.WriteLine($"cannot get info for '{memId}': {ErrnoText.Of(e.Errno)}");
            return false;
        }
    }

    /// <summary>Runs one request; a refusal becomes "failed to ACTION NAME: STRERROR" on stderr and false.</summary>
    private static bool Try<T>(Func<T> request, string action, string name, TextWriter stderr, out T result)
    {
        try
        {
            result = request();
            return true;
        }
        catch (NetmapException e) when (IsRefusal(e))
        {
            stderr.WriteLine(ValeCtlOutput.Failure(action, name, e.Errno));
            result = default!;
            return false;
        }
    }

    /// <summary>True for an answer of the engine (netmap's ioctl failing): NetmapControl and NetmapPort name the
    /// request "NIOCCTRL ..." in their messages, the hosts' connection failures do not.</summary>
    private static bool IsRefusal(NetmapException e) => e.Message.Contains(": NIOCCTRL ", StringComparison.Ordinal);

    private static void WriteLines(TextWriter w, IEnumerable<string> lines)
    {
        foreach (var line in lines) w.WriteLine(line);
    }
}
