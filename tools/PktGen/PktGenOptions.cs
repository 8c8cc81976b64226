using System.Globalization;

namespace Netmap.Tools.PktGen;

/// <summary>
/// pkt-gen's command line, parsed like netmap's getopt string "46a:f:F:Nn:i:Il:d:s:D:S:b:c:o:p:T:w:WvR:XC:H:rP:zZAhBM:"
/// (grouped flags "-NW" and attached values "-n100" work), plus the long options <c>--busy</c> and <c>--help</c>.
/// Options of netmap's pkt-gen that this one does not implement are rejected with a message instead of being
/// silently ignored.
/// </summary>
public sealed class PktGenOptions
{
    /// <summary>Largest frame (-l), netmap's MAX_PKTSIZE.</summary>
    public const int MaxPacketSize = 65536;
    /// <summary>Smallest frame (-l).</summary>
    public const int MinPacketSize = 16;

    /// <summary>-h / --help was given: print <see cref="Usage"/> and exit 0.</summary>
    public bool Help { get; private set; }
    /// <summary>-i, normalized ("netmap:" prepended unless it starts with netmap: or vale).</summary>
    public string Interface { get; private set; } = "";
    /// <summary>-f (default rx).</summary>
    public PktGenFunction Function { get; private set; } = PktGenFunction.Rx;
    /// <summary>-n: packets to send/receive, ping-pong transactions; 0 = forever.</summary>
    public ulong Count { get; private set; }
    /// <summary>-l: frame size without FCS (16..65536, default 60).</summary>
    public int PacketSize { get; private set; } = 60;
    /// <summary>-b as given (0 = the function's default, see <see cref="Burst"/>).</summary>
    public int BurstArgument { get; private set; }
    /// <summary>Effective burst: -b, or 512 (rx, tx) / 1 (ping, pong).</summary>
    public int Burst => BurstArgument > 0 ? BurstArgument : Function is PktGenFunction.Ping or PktGenFunction.Pong ? 1 : 512;
    /// <summary>-S as given (default 00:00:00:00:00:00: our ports have no hardware address).</summary>
    public string SourceMacName { get; private set; } = "00:00:00:00:00:00";
    /// <summary>-S parsed.</summary>
    public byte[] SourceMac { get; private set; } = new byte[6];
    /// <summary>-D as given (default ff:ff:ff:ff:ff:ff).</summary>
    public string DestinationMacName { get; private set; } = "ff:ff:ff:ff:ff:ff";
    /// <summary>-D parsed.</summary>
    public byte[] DestinationMac { get; private set; } = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff];
    /// <summary>-s (default 10.0.0.1:1234).</summary>
    public Ipv4Endpoint Source { get; private set; } = new("10.0.0.1", 0x0a000001, Ipv4Endpoint.DefaultPort);
    /// <summary>-d (default 10.1.0.1:1234).</summary>
    public Ipv4Endpoint Destination { get; private set; } = new("10.1.0.1", 0x0a010001, Ipv4Endpoint.DefaultPort);
    /// <summary>-T: milliseconds between report lines (default 1000).</summary>
    public int ReportIntervalMs { get; private set; } = 1000;
    /// <summary>False with -W: rx exits after a second without traffic.</summary>
    public bool Forever { get; private set; } = true;
    /// <summary>-w: seconds to wait before starting (default 2; 0 for vale ports unless -w is given).</summary>
    public int WaitLinkSeconds { get; private set; } = 2;
    /// <summary>False with -N: print raw numbers ("%.0f ") instead of K/M/G/T.</summary>
    public bool Normalize { get; private set; } = true;
    /// <summary>-a: CPU to pin the working thread to (-1 = none).</summary>
    public int Affinity { get; private set; } = -1;
    /// <summary>-c: CPUs to use (printed on the startup line; 0 = all).</summary>
    public int Cpus { get; private set; } = 1;
    /// <summary>-p: threads (only 1 is supported).</summary>
    public int Threads { get; private set; } = 1;
    /// <summary>-R: transmit rate in packets per second (0 = as fast as possible).</summary>
    public int Rate { get; private set; }
    /// <summary>-F: fragments (slots) per packet, 1..63.</summary>
    public int Fragments { get; private set; } = 1;
    /// <summary>-H: virtio-net header length (0, 10 or 12) set on the port (PORT_HDR_SET) and prepended to every frame.</summary>
    public int VirtioHeader { get; private set; }
    /// <summary>-M: largest fragment (0 = the buffer size).</summary>
    public int FragmentSize { get; private set; }
    /// <summary>-A: add "[avg/std A/S pps] " (15-sample sliding window) to the report line.</summary>
    public bool PpsStats { get; private set; }
    /// <summary>-B: bits of framing per packet added to the report's bps (4 B CRC + 20 B preamble and gap), else 0.</summary>
    public int FramingBits { get; private set; }
    /// <summary>-v count.</summary>
    public int Verbose { get; private set; }
    /// <summary>--busy: spin on TxSync/RxSync instead of sleeping in Poll.</summary>
    public bool Busy { get; private set; }

    private const string OptString = "46a:f:F:Nn:i:Il:d:s:D:S:b:c:o:p:T:w:WvR:XC:H:rP:zZAhBM:";

    /// <summary>Parses <paramref name="args"/>. False with a one-line <paramref name="error"/> on a bad command line.</summary>
    public static bool TryParse(IReadOnlyList<string> args, out PktGenOptions options, out string? error)
    {
        options = new PktGenOptions();
        error = options.ParseInto(args);
        return error is null;
    }

    private string? ParseInto(IReadOnlyList<string> args)
    {
        bool waitGiven = false, sizeGiven = false;
        string? ifname = null;
        var getopt = new GetOpt(args, OptString);
        while (getopt.Next(out var t))
        {
            switch (t.Kind)
            {
                case GetOptKind.Operand: return $"unexpected argument '{t.Value}'";
                case GetOptKind.LongOption:
                    switch (t.Value)
                    {
                        case "--busy": Busy = true; continue;
                        case "--help": Help = true; continue;
                        default: return $"unknown option '{t.Value}'";
                    }
                case GetOptKind.UnknownOption: return $"unknown option '-{t.Option}'";
                case GetOptKind.MissingValue: return t.MissingValueMessage;
            }
            string? err = Apply(t.Option, t.Value, ref waitGiven, ref sizeGiven, ref ifname);
            if (err is not null) return err;
        }
        if (Help) return null;
        if (string.IsNullOrEmpty(ifname)) return "missing ifname (-i)";
        Interface = PortSpecParser.Normalize(ifname);
        if (!waitGiven && Interface.StartsWith("vale", StringComparison.Ordinal)) WaitLinkSeconds = 0;
        if (Threads != 1) return $"bad nthreads {Threads}: this pkt-gen runs one thread (-p 1)";
        int ncpu = Environment.ProcessorCount;
        if (Cpus < 0 || Cpus > ncpu) return $"{Cpus} cpus is too high, have only {ncpu} cpus";
        if (Cpus == 0) Cpus = ncpu;
        if (Function is PktGenFunction.Ping && PacketSize < FrameBuilder.PingPayloadEnd)
            return $"ping needs -l >= {FrameBuilder.PingPayloadEnd} (sequence at byte 42, timestamp at byte 46)";
        return null;
    }

    private string? Apply(char ch, string? v, ref bool waitGiven, ref bool sizeGiven, ref string? ifname)
    {
        switch (ch)
        {
            case 'h': Help = true; return null;
            case '4': return null;
            case 'N': Normalize = false; return null;
            case 'W': Forever = false; return null;
            case 'v': Verbose++; return null;
            case 'A': PpsStats = true; return null;
            case 'B': FramingBits = 24 * 8; return null;
            case 'i':
                if (v!.Length == 0) return "empty ifname (-i)";
                if (v.Length > 512 - 8) return $"ifname too long {v}";
                ifname = v;
                return null;
            case 'f':
                switch (v)
                {
                    case "rx": Function = PktGenFunction.Rx; return null;
                    case "tx": Function = PktGenFunction.Tx; return null;
                    case "ping": Function = PktGenFunction.Ping; return null;
                    case "pong": Function = PktGenFunction.Pong; return null;
                    case "txseq" or "rxseq": return $"function {v} is not supported (use tx, rx, ping or pong)";
                    default: return $"unrecognised function {v}";
                }
            case 'n':
                if (!ulong.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out ulong n)) return $"invalid count '{v}' (-n)";
                Count = n;
                return null;
            case 'l':
                if (sizeGiven) return "a second -l (random sizes) is not supported";
                if (!TryInt(v!, out int size)) return $"invalid packet size '{v}' (-l)";
                if (size < MinPacketSize || size > MaxPacketSize) return $"bad pktsize {size} [{MinPacketSize}..{MaxPacketSize}]";
                PacketSize = size;
                sizeGiven = true;
                return null;
            case 'b':
                if (!TryInt(v!, out int b) || b < 0) return $"invalid burst '{v}' (-b)";
                BurstArgument = b;
                return null;
            case 'S':
                if (!TryParseMac(v!, out var smac)) return $"invalid MAC address '{v}'";
                SourceMac = smac; SourceMacName = v!;
                return null;
            case 'D':
                if (!TryParseMac(v!, out var dmac)) return $"invalid MAC address '{v}'";
                DestinationMac = dmac; DestinationMacName = v!;
                return null;
            case 's':
            {
                if (!Ipv4Endpoint.TryParse(v!, out var ep, out string? err)) return err + " (-s)";
                Source = ep;
                return null;
            }
            case 'd':
            {
                if (!Ipv4Endpoint.TryParse(v!, out var ep, out string? err)) return err + " (-d)";
                Destination = ep;
                return null;
            }
            case 'T':
                if (!TryInt(v!, out int t) || t <= 0) return $"invalid report interval '{v}' (-T)";
                ReportIntervalMs = t;
                return null;
            case 'w':
                if (!TryInt(v!, out int w) || w < 0) return $"invalid wait_link '{v}' (-w)";
                WaitLinkSeconds = w; waitGiven = true;
                return null;
            case 'a':
                if (!TryInt(v!, out int cpu) || cpu < 0) return $"invalid cpu '{v}' (-a)";
                Affinity = cpu;
                return null;
            case 'c':
                if (!TryInt(v!, out int c)) return $"invalid cpus '{v}' (-c)";
                Cpus = c;
                return null;
            case 'p':
                if (!TryInt(v!, out int p)) return $"invalid threads '{v}' (-p)";
                Threads = p;
                return null;
            case 'R':
                if (!TryInt(v!, out int r) || r < 0) return $"invalid rate '{v}' (-R)";
                Rate = r;
                return null;
            case 'F':
                if (!TryInt(v!, out int f) || f < 1 || f > 63) return $"invalid frags {v} [1..63]";
                Fragments = f;
                return null;
            case 'M':
                if (!TryInt(v!, out int m) || m <= 0 || m > MaxPacketSize) return $"invalid frag size '{v}' (-M)";
                FragmentSize = m;
                return null;
            case 'H':
                if (!TryInt(v!, out int vh) || vh is not (0 or 10 or 12)) return $"bad virtio-net header length {v} (0, 10 or 12)";
                VirtioHeader = vh;
                return null;
            default:
                // 6 I o X C r P z Z: netmap options this pkt-gen does not implement.
                return $"option -{ch} is not supported by this pkt-gen";
        }
    }

    private static bool TryInt(string s, out int v) => int.TryParse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out v);

    /// <summary>ether_aton: six hex octets of one or two digits separated by ':'.</summary>
    public static bool TryParseMac(string text, out byte[] mac)
    {
        mac = new byte[6];
        var parts = text.Split(':');
        if (parts.Length != 6) return false;
        for (int i = 0; i < 6; i++)
        {
            if (parts[i].Length is 0 or > 2 || !byte.TryParse(parts[i], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out mac[i]))
                return false;
        }
        return true;
    }

    /// <summary>The help text (-h).</summary>
    public static string Usage { get; } =
        """
        Usage:
        pkt-gen arguments
             -h      Show program usage and exit.

             -i interface
                     Name of the netmap port pkt-gen operates on: a netmap pipe end (netmap:p{1, netmap:p}1),
                     a VALE port (valeSSS:PPP) or any port name netmapd accepts. A name without a netmap: or
                     vale prefix gets netmap: prepended.

             -f function
                     tx for transmission, rx for reception (default), ping for client-side ping-pong
                     operation, pong for server-side ping-pong operation.

             -n count
                     Number of packets to transmit or receive, or of ping-pong transactions (0 = forever).

             -l pkt_size
                     Packet size in bytes excluding CRC (16..65536, default 60). Frames larger than a netmap
                     buffer are sent as several slots chained with NS_MOREFRAG.

             -b burst_size
                     Transmit or receive up to burst_size packets at a time (default 512; 1 for ping/pong).

             -d dst_ip[:port]
                     Destination IPv4 address and UDP port (default 10.1.0.1:1234).

             -s src_ip[:port]
                     Source IPv4 address and UDP port (default 10.0.0.1:1234).

             -D dst_mac
                     Destination MAC address in colon notation (default ff:ff:ff:ff:ff:ff).

             -S src_mac
                     Source MAC address in colon notation (default 00:00:00:00:00:00).

             -a cpu_id
                     Pin the working thread to a particular CPU.

             -c cpus
                     Maximum number of CPUs to use (0 means all; only reported).

             -p threads
                     Number of threads (only 1 is supported).

             -T report_ms
                     Number of milliseconds between reports (default 1000).

             -w wait_for_link_time
                     Number of seconds to wait before starting (default 2, 0 for vale ports).

             -W      rx: exit after one second without traffic (once traffic was seen).

             -R rate
                     tx: packet transmission rate in packets per second (default: as fast as possible).

             -F num_frags
                     Send multi-slot packets of num_frags fragments each (NS_MOREFRAG on all but the last).

             -M frag_size
                     In multi-slot mode, the size of each fragment if smaller than pkt_size / num_frags.

             -H len  Add an empty virtio-net header of len bytes (0, 10 or 12; VALE ports) to every frame, and
                     set the port's header length to len (NETMAP_REQ_PORT_HDR_SET).

             -N      Do not normalize units (i.e., use bps, pps instead of Mbps, Kpps, etc.).

             -A      Compute mean and standard deviation (over a sliding window) of the rate.

             -B      Take Ethernet framing and CRC into account in the reported bps (24 bytes per packet).

             -v      Increase the verbosity level.

             --busy  Busy-wait: spin on TxSync/RxSync instead of sleeping in Poll (lowest ping/pong
                     latency, one CPU at 100%).

             --help  Same as -h.

        Not supported (netmap pkt-gen options): -6 -I -o -X -C -r -P -z -Z, txseq/rxseq, address ranges,
        a second -l.

        """;
}
