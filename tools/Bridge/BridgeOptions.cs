using System.Globalization;

namespace Netmap.Tools.Bridge;

/// <summary>
/// bridge's command line, parsed like netmap's getopt string "hb:ci:vw:L" (grouped flags "-cv" and attached values
/// "-b64" work; options and operands may be mixed, "--" ends the options), plus the operands
/// <c>[ifa [ifb [burst]]]</c>, which override -i and -b as in bridge.c. Values netmap would silently reset
/// (a burst outside 1..8192, a wait above 100 s) are rejected here instead.
/// </summary>
public sealed class BridgeOptions
{
    /// <summary>-b default.</summary>
    public const int DefaultBurst = 1024;
    /// <summary>-w default.</summary>
    public const int DefaultWaitLink = 4;
    /// <summary>Largest -w.</summary>
    public const int MaxWaitLink = 100;

    private const string OptString = "hb:ci:vw:L";

    /// <summary>-h / --help: print <see cref="Usage"/> and exit 0.</summary>
    public bool Help { get; private set; }
    /// <summary>The first port, normalized ("netmap:" prepended unless it starts with netmap: or vale).</summary>
    public string PortA { get; private set; } = "";
    /// <summary>The second port, normalized; <see cref="PortA"/> with '^' (its host rings) when ifb was missing or
    /// equal to ifa without -L.</summary>
    public string PortB { get; private set; } = "";
    /// <summary>True when <see cref="PortB"/> was derived from ifa as its host stack.</summary>
    public bool HostStack { get; private set; }
    /// <summary>-b: slots moved per direction and pass (1..8192).</summary>
    public int Burst { get; private set; } = DefaultBurst;
    /// <summary>-w: seconds to wait for the link before forwarding.</summary>
    public int WaitLinkSeconds { get; private set; } = DefaultWaitLink;
    /// <summary>False with -c: always copy.</summary>
    public bool ZeroCopy { get; private set; } = true;
    /// <summary>-L: with ifa == ifb, bridge the port with itself instead of with its host stack.</summary>
    public bool Loopback { get; private set; }
    /// <summary>-v count.</summary>
    public int Verbose { get; private set; }

    /// <summary>Parses <paramref name="args"/>. False with a one-line <paramref name="error"/> on a bad command line.</summary>
    public static bool TryParse(IReadOnlyList<string> args, out BridgeOptions options, out string? error)
    {
        options = new BridgeOptions();
        error = options.ParseInto(args);
        return error is null;
    }

    private string? ParseInto(IReadOnlyList<string> args)
    {
        string? ifa = null, ifb = null;
        var operands = new List<string>();
        var getopt = new GetOpt(args, OptString);
        while (getopt.Next(out var t))
        {
            switch (t.Kind)
            {
                case GetOptKind.Operand: operands.Add(t.Value!); continue;
                case GetOptKind.LongOption:
                    if (t.Value == "--help") { Help = true; continue; }
                    return $"unknown option '{t.Value}'";
                case GetOptKind.UnknownOption: return $"unknown option '-{t.Option}'";
                case GetOptKind.MissingValue: return t.MissingValueMessage;
            }
            string? err = Apply(t.Option, t.Value, ref ifa, ref ifb);
            if (err is not null) return err;
        }
        if (operands.Count > 3) return $"unexpected argument '{operands[3]}'";
        if (operands.Count > 0) ifa = operands[0];
        if (operands.Count > 1) ifb = operands[1];
        if (operands.Count > 2)
        {
            string? err = Apply('b', operands[2], ref ifa, ref ifb);
            if (err is not null) return err;
        }
        if (Help) return null;
        if (string.IsNullOrEmpty(ifa)) return "missing interface";
        if (ifb is { Length: 0 }) return "empty interface name";
        PortA = PortSpecParser.Normalize(ifa);
        PortB = ifb is null ? PortA : PortSpecParser.Normalize(ifb);
        if (PortA == PortB && !Loopback)
        {
            PortB = WithHostRings(PortA);
            HostStack = true;
        }
        return null;
    }

    private string? Apply(char ch, string? v, ref string? ifa, ref string? ifb)
    {
        switch (ch)
        {
            case 'h': Help = true; return null;
            case 'c': ZeroCopy = false; return null;
            case 'L': Loopback = true; return null;
            case 'v': Verbose++; return null;
            case 'i':
                if (v!.Length == 0) return "empty interface name (-i)";
                if (ifa is null) ifa = v;
                else if (ifb is null) ifb = v;
                else return $"{v}: already have 2 interfaces";
                return null;
            case 'b':
                if (!TryInt(v!, out int b) || b < 1 || b > PortBridge.MaxBurst) return $"invalid burst {v} [1..{PortBridge.MaxBurst}]";
                Burst = b;
                return null;
            case 'w':
                if (!TryInt(v!, out int w) || w < 0 || w > MaxWaitLink) return $"invalid wait_link {v} [0..{MaxWaitLink}]";
                WaitLinkSeconds = w;
                return null;
            default:
                return $"unknown option '-{ch}'";
        }
    }

    /// <summary>The spec of <paramref name="spec"/>'s host rings: '^' after the port name, before any '/' flags or
    /// '@' options ("netmap:eth0@conf:..." becomes "netmap:eth0^@conf:...").</summary>
    public static string WithHostRings(string spec)
    {
        int start = spec.IndexOf(':') + 1;
        int cut = spec.IndexOfAny(['/', '@'], start);
        return cut < 0 ? spec + "^" : spec.Insert(cut, "^");
    }

    private static bool TryInt(string s, out int v) => int.TryParse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out v);

    /// <summary>The help text (-h).</summary>
    public static string Usage { get; } =
        """
        Usage:
        bridge [-hvcL] [-b burst] [-w wait_time] [-i ifa] [-i ifb] [ifa [ifb [burst]]]
             -h      Show program usage and exit.

             -i ifa  The first port: a netmap pipe end (netmap:p{1), a VALE port (valeSSS:PPP), an interface
                     (netmap:eth0) or any port name netmapd accepts. A name without a netmap: or vale prefix
                     gets netmap: prepended.

             -i ifb  The second port. When it is missing or equal to ifa (and -L is not given), the second
                     port is ifa's host stack (ifa^).

             -b burst
                     Slots moved per direction and pass, 1..8192 (default 1024).

             -w wait_time
                     Seconds to wait for the link to come up before forwarding (0..100, default 4).

             -c      Always copy frames, even when both ports share memory (disables zero-copy).

             -L      Loopback: with ifa == ifb, bridge the port with itself.

             -v      Verbose: print the counters every second.

        Frames move in both directions until SIGINT or SIGTERM; then the packets moved each way are printed.

        """;
}
