using System.Diagnostics;
using System.Globalization;

namespace Netmap.Tools.PktGen;

/// <summary>
/// netmap's main_thread(): every -T ms samples the worker's <see cref="Counters"/> and prints
/// "&lt;pps&gt;pps &lt;avgstd&gt;(&lt;pkts&gt;pkts &lt;bps&gt;bps in &lt;usec&gt; usec) &lt;x.xx&gt; avg_batch &lt;n&gt; min_space" through D();
/// also the norm() number format and tx_output()'s final lines.
/// </summary>
public sealed class RateReporter
{
    private const int StatsWindow = 15; // netmap's STATS_WIN

    private static readonly string[] Units = ["", "K", "M", "G", "T"];

    private readonly Counters _counters;
    private readonly DebugLog _log;
    private readonly int _intervalMs;
    private readonly bool _normalize;
    private readonly bool _ppsStats;
    private readonly int _framingBits;
    private readonly long[] _window = new long[StatsWindow];
    private int _windowIndex;
    private readonly ManualResetEventSlim _done = new(false);
    private Thread? _thread;

    public RateReporter(Counters counters, PktGenOptions options, DebugLog log)
    {
        _counters = counters;
        _log = log;
        _intervalMs = options.ReportIntervalMs;
        _normalize = options.Normalize;
        _ppsStats = options.PpsStats;
        _framingBits = options.FramingBits;
    }

    /// <summary>Starts the reporting thread.</summary>
    public void Start()
    {
        _thread = new Thread(Loop) { IsBackground = true, Name = "pkt-gen main_thread" };
        _thread.Start();
    }

    /// <summary>Tells the reporter the worker is done: it prints the last (partial) interval and ends.</summary>
    public void Stop()
    {
        _done.Set();
        _thread?.Join();
        _done.Dispose();
    }

    private void Loop()
    {
        long prevPkts = 0, prevBytes = 0, prevEvents = 0;
        long prevT = Stopwatch.GetTimestamp();
        while (true)
        {
            bool done = _done.Wait(_intervalMs);
            long now = Stopwatch.GetTimestamp();
            long usec = (long)((now - prevT) * 1_000_000.0 / Stopwatch.Frequency);
            if (usec < 10000) // too short to be meaningful
            {
                if (done) return;
                continue;
            }
            long pkts = Volatile.Read(ref _counters.Packets);
            long bytes = Volatile.Read(ref _counters.Bytes);
            long events = Volatile.Read(ref _counters.Events);
            long minSpace = Interlocked.Exchange(ref _counters.MinSpace, Counters.NoSpace);
            long xPkts = pkts - prevPkts, xBytes = bytes - prevBytes, xEvents = events - prevEvents;
            long pps = (xPkts * 1_000_000 + usec / 2) / usec;
            double avgBatch = xEvents > 0 ? xPkts / (double)xEvents : 0;
            double bps = 1_000_000 * ((double)xBytes * 8 + (double)xPkts * _framingBits) / usec;
            string avgStd = _ppsStats ? WindowStats(pps) : "";
            _log.D("main_thread", PktGenLines.MainThreadReport,
                FormatReport(pps, avgStd, xPkts, bps, usec, avgBatch, minSpace, _normalize));
            prevPkts = pkts; prevBytes = bytes; prevEvents = events; prevT = now;
            if (done) return;
        }
    }

    private string WindowStats(long pps)
    {
        _window[_windowIndex] = pps;
        _windowIndex = (_windowIndex + 1) % StatsWindow;
        double avg = 0, dev = 0;
        int samples = 0;
        foreach (long w in _window)
        {
            avg += w;
            if (w != 0) samples++;
        }
        if (samples > 0)
        {
            avg /= samples;
            foreach (long w in _window)
                if (w != 0) dev += (w - avg) * (w - avg);
            dev = Math.Sqrt(dev / samples);
        }
        return $"[avg/std {Norm(avg, _normalize)}/{Norm(dev, _normalize)} pps]";
    }

    /// <summary>
    /// netmap's norm(): <paramref name="value"/> divided by 1000 while &gt;= 1000 (up to T), "%.3f " plus the unit
    /// letter ("14.880 M", "0.000 "); with <paramref name="normalize"/> false "%.0f " ("14880000 ").
    /// Append the unit yourself: Norm(x) + "pps".
    /// </summary>
    public static string Norm(double value, bool normalize = true)
    {
        if (!normalize) return value.ToString("F0", CultureInfo.InvariantCulture) + " ";
        int i = 0;
        for (; value >= 1000 && i < Units.Length - 1; i++) value /= 1000;
        return value.ToString("F3", CultureInfo.InvariantCulture) + " " + Units[i];
    }

    /// <summary>The message part of a report line (what follows "main_thread [LINE] ").</summary>
    public static string FormatReport(long pps, string avgStd, long pkts, double bps, long usec, double avgBatch, long minSpace, bool normalize = true)
        => string.Create(CultureInfo.InvariantCulture,
            $"{Norm(pps, normalize)}pps {avgStd}({Norm(pkts, normalize)}pkts {Norm(bps, normalize)}bps in {usec} usec) {avgBatch:F2} avg_batch {minSpace} min_space");

    /// <summary>
    /// tx_output(): "MSG N packets B bytes E events S bytes each in T.TT seconds." and
    /// "Speed: Xpps Bandwidth: Ybps (raw Zbps). Average batch: A.AA pkts", or "MSG nothing.".
    /// raw counts 24 bytes of framing (preamble, gap, CRC) per packet.
    /// </summary>
    public static string[] FormatSummary(string message, long pkts, long bytes, long events, double seconds, bool normalize = true)
    {
        if (pkts == 0) return [$"{message} nothing."];
        long size = bytes / pkts;
        string first = string.Create(CultureInfo.InvariantCulture,
            $"{message} {pkts} packets {bytes} bytes {events} events {size} bytes each in {seconds:F2} seconds.");
        if (seconds == 0) seconds = 1e-6;
        double pps = pkts / seconds;
        double bw = 8.0 * bytes / seconds;
        double raw = (8.0 * bytes + pkts * 24.0 * 8) / seconds;
        double abs = events > 0 ? pkts / (double)events : 0;
        string second = string.Create(CultureInfo.InvariantCulture,
            $"Speed: {Norm(pps, normalize)}pps Bandwidth: {Norm(bw, normalize)}bps (raw {Norm(raw, normalize)}bps). Average batch: {abs:F2} pkts");
        return [first, second];
    }
}
