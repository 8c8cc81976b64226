using System.Globalization;

namespace Netmap.Bench.Vale;

/// <summary>Runs every mode <see cref="BenchOptions.Runs"/> times, interleaved (run 1 of each mode, then run 2...),
/// prints one line per run and a summary per mode (median, min, max). SIGINT ends the current run early and still
/// prints the summary of what was measured.</summary>
internal static class BenchMain
{
    public static int Run(string[] args)
    {
        CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
        CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
        if (args.Length == 0 || args[0] is "-h" or "--help")
        {
            Console.WriteLine(BenchOptions.Usage);
            return args.Length == 0 ? 2 : 0;
        }
        var o = BenchOptions.Parse(args, out var error);
        if (o is null)
        {
            Console.Error.WriteLine($"ValeBench: {error}");
            Console.Error.WriteLine(BenchOptions.Usage);
            return 2;
        }

        using var cancel = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) => { e.Cancel = true; cancel.Cancel(); };

        Console.WriteLine($"# ValeBench {string.Join(' ', args)}");
        Console.WriteLine($"# {o.Runs} run(s) x {o.Seconds} s (+{o.WarmupSeconds} s warmup), {o.Size} B frames, batch {o.Batch}, " +
                          $"{MachineLoad.MachineCpus} CPUs, load average {LoadAverage()}, {DateTime.UtcNow:yyyy-MM-ddTHH:mmZ}");
        var results = new List<RunResult>();
        bool failed = false;
        for (int run = 1; run <= o.Runs && !cancel.IsCancellationRequested; run++)
        {
            foreach (var mode in o.Modes)
            {
                if (cancel.IsCancellationRequested) break;
                try
                {
                    var r = ValeRun.Execute(mode, o, run, cancel.Token);
                    if (r.Seconds <= 0) continue; // cancelled before measuring
                    results.Add(r);
                    Console.WriteLine(Describe(r, o));
                    foreach (var w in r.Warnings) Console.WriteLine($"#   WARNING: {w}");
                }
                catch (Exception e)
                {
                    failed = true;
                    Console.WriteLine($"run {run}/{o.Runs} {mode} {o.Size} B: FAILED: {e.Message}");
                    Console.Error.WriteLine(e);
                }
            }
        }

        Console.WriteLine($"# summary: median of the runs (then min, max); load average now {LoadAverage()}");
        foreach (var mode in o.Modes.Distinct())
        {
            var rs = results.Where(r => r.Mode == mode).ToList();
            if (rs.Count == 0) continue;
            string stem = mode.Metric(o.Size);
            Summary($"{stem}_mpps", rs.Select(r => r.RxMpps), "F3");
            Summary($"{stem}_tx_mpps", rs.Select(r => r.TxMpps), "F3");
            Summary($"{stem}_rx_drops", rs.Select(r => (double)r.RxDrops), "F0");
            Summary($"{stem}_sender_cpu_ns_per_pkt", rs.Select(r => r.SenderCpuNs), "F1");
            Summary($"{stem}_sender_wall_ns_per_pkt", rs.Select(r => r.SenderWallNs), "F1");
            Summary($"{stem}_rx_pkts_per_sync", rs.Select(r => r.RxBatch), "F1");
            Summary($"{stem}_rx_stall_pct", rs.Select(r => r.RxStallPercent), "F0");
            if (mode.Daemon) Summary($"{stem}_worker_cpu_ns_per_pkt", rs.Select(r => r.WorkerCpuNs), "F1");
            Summary($"{stem}_others_load_pct", rs.Select(r => r.OthersPercent), "F0");
        }
        return failed ? 1 : 0;
    }

    private static string Describe(RunResult r, BenchOptions o)
    {
        string perPort = r.ReceivedPerPort.Length > 1 ? $" ({string.Join(" + ", r.ReceivedPerPort)})" : "";
        string worker = r.Mode.Daemon ? $" | worker {r.WorkerCpuNs:F1} ns/pkt CPU" : "";
        return $"run {r.Run}/{o.Runs} {r.Mode} {o.Size} B: sent {r.Sent} received {r.Received}{perPort} rx_drops {r.RxDrops} tx_drops {r.TxDrops} " +
               $"in {r.Seconds:F3} s | rx {r.RxMpps:F3} Mpps (tx {r.TxMpps:F3}) | sender {r.SenderWallNs:F1} ns/pkt wall, {r.SenderCpuNs:F1} ns/pkt CPU, " +
               $"{r.SenderPreempted} preemptions | receiver {r.ReceiverCpuNs:F1} ns/pkt CPU, {r.RxBatch:F1} pkts/sync, {r.RxEmptyPercent:F1}% syncs empty, {r.RxStalls} stalls >= 1 ms ({r.RxStallPercent:F0}% of the time){worker} | {r.Layout} | {r.Load}";
    }

    private static void Summary(string name, IEnumerable<double> values, string format)
    {
        var v = values.Where(x => !double.IsNaN(x)).OrderBy(x => x).ToArray();
        if (v.Length == 0) return;
        double median = v.Length % 2 == 1 ? v[v.Length / 2] : (v[v.Length / 2 - 1] + v[v.Length / 2]) / 2;
        Console.WriteLine($"{name} {median.ToString(format)}");
        Console.WriteLine($"#   {name} runs: {string.Join(' ', values.Select(x => x.ToString(format)))} (min {v[0].ToString(format)}, max {v[^1].ToString(format)})");
    }

    private static string LoadAverage()
    {
        try { return string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)); }
        catch (IOException) { return "?"; }
    }
}
