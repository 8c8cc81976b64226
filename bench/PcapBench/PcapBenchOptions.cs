using System.Globalization;

namespace Netmap.Bench.Pcap;

/// <summary>Command line of PcapBench (see <see cref="Usage"/>).</summary>
public sealed class PcapBenchOptions
{
    public const string Usage = """
        usage: PcapBench MODE --dev IFNAME [--seconds S] [--count N] [--frame HEX] [--buffer-mb M]
          MODE  tx       SendPacket(frame) in a loop
                rx-cb    OnPacketArrival + StartCapture (pcap_dispatch on libpcap's capture thread)
                rx-next  GetNextPacket loop (pcap_next_ex, one call per frame)
          --seconds S   stop after S seconds (default 3600; SIGINT/SIGTERM stop earlier)
          --count N     tx: stop after N frames (default 0 = no limit)
          --frame HEX   tx: the frame to send, hex without separators (default: 60-byte IPv4/UDP,
                        02:00:00:00:00:01 -> 02:00:00:00:00:02, 10.0.0.1:1234 -> 10.1.0.1:1234)
          --buffer-mb M rx: libpcap buffer (TPACKET_V3 ring) size in MiB (default 32)
        stdout: "ready" once the device is open, then at the end
                "Sent N packets ..." or "Received N packets ... (pcap_stats: received R dropped D ifdropped I)"
        stderr: one line per second: "pcap-bench: <pps> pps (<total> total)"
        """;

    /// <summary>pkt-gen's default 60-byte frame with -S 02:00:00:00:00:01 -D 02:00:00:00:00:02.</summary>
    public const string DefaultFrameHex =
        "02000000000202000000000108004510002e00004000401126ad0a0000010a01000104d204d2001a15d26e65746d617020706b742d67656e20444900";

    public PcapBenchMode Mode { get; private set; }
    public string Device { get; private set; } = "";
    public double Seconds { get; private set; } = 3600;
    public long Count { get; private set; }
    public byte[] Frame { get; private set; } = Convert.FromHexString(DefaultFrameHex);
    public int BufferMiB { get; private set; } = 32;

    /// <summary>Parses <paramref name="args"/>; null (after printing why on stderr) when they are wrong.</summary>
    public static PcapBenchOptions? Parse(string[] args)
    {
        if (args.Length == 0) { Console.Error.WriteLine(Usage); return null; }
        var o = new PcapBenchOptions();
        switch (args[0])
        {
            case "tx": o.Mode = PcapBenchMode.Tx; break;
            case "rx-cb": o.Mode = PcapBenchMode.RxCallback; break;
            case "rx-next": o.Mode = PcapBenchMode.RxNext; break;
            default: Console.Error.WriteLine($"PcapBench: unknown mode '{args[0]}'\n{Usage}"); return null;
        }
        for (int i = 1; i < args.Length; i++)
        {
            string? v = i + 1 < args.Length ? args[i + 1] : null;
            bool ok = true;
            switch (args[i])
            {
                case "--dev": ok = v is not null; o.Device = v ?? ""; break;
                case "--seconds": ok = double.TryParse(v, CultureInfo.InvariantCulture, out double s) && s > 0; o.Seconds = s; break;
                case "--count": ok = long.TryParse(v, CultureInfo.InvariantCulture, out long n) && n >= 0; o.Count = n; break;
                case "--buffer-mb": ok = int.TryParse(v, CultureInfo.InvariantCulture, out int m) && m is > 0 and <= 1024; o.BufferMiB = m; break;
                case "--frame":
                    try { o.Frame = Convert.FromHexString(v ?? ""); ok = o.Frame.Length is >= 14 and <= 65535; }
                    catch (FormatException) { ok = false; }
                    break;
                default: Console.Error.WriteLine($"PcapBench: unknown option '{args[i]}'\n{Usage}"); return null;
            }
            if (!ok) { Console.Error.WriteLine($"PcapBench: bad value for {args[i]}: '{v}'"); return null; }
            i++;
        }
        if (o.Device.Length == 0) { Console.Error.WriteLine($"PcapBench: --dev is required\n{Usage}"); return null; }
        return o;
    }
}
