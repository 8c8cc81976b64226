using System.Globalization;

namespace Netmap.Bench.Vale;

/// <summary>ValeBench's command line (see <see cref="Usage"/>).</summary>
internal sealed class BenchOptions
{
    public const string Usage = """
        usage: ValeBench MODE [options]     (dotnet bench/ValeBench/bin/Release/net10.0/ValeBench.dll ...)

        MODE (the engine runs in this process; each run builds a fresh engine):
          unicast          1 sender port -> 1 receiver port, learned unicast MACs (embedded engine: the
                           sender's TxSync forwards, as netmap's kernel does in the sender's system call)
          broadcast        1 sender -> 2 receivers (dst ff:ff:ff:ff:ff:ff), one receiver thread for both
          nto1 N           N sender threads/ports -> 1 receiver (N = 1..16)
          daemon           unicast through an in-process DaemonServer on a temp socket: clients are threads of
                           this process, forwarding runs on the server's worker thread (3 threads, 2 cores)
          all              unicast, broadcast, nto1 2 and daemon, interleaved run by run

        options:
          --size B         frame length, 60..1514 (default 60)
          --seconds S      measured seconds per run (default 5)
          --runs R         runs per mode (default 3); the summary gives the median, min and max
          --batch B        slots per TxSync (default 512)
          --warmup S       unmeasured seconds before each measurement (default 1: JIT tiers, OSR)
          --cpus S,R[,W]   pin sender(s) to CPU S, receiver(s) to R, the daemon's worker to W
                           (default with >= 2 CPUs: embedded 0,1; daemon 1,1,0), or 'none'
          --wait busy|poll how threads wait for ring space / packets (default: busy embedded, poll daemon)
          --worker-spin-us U  daemon mode: the worker's spin before it sleeps (default 50)
          --rate-lines     print pkt-gen-style per-second lines on stderr
                           ("ValeBench main_thread [PID] X.XXX Mpps ..."), for bench/vale.sh's embedded hook

        stdout: one line per run, then per mode "vale_embedded_unicast_60_mpps MEDIAN" and companions.
        """;

    public List<BenchMode> Modes { get; } = new();
    public int Size { get; set; } = 60;
    public int Seconds { get; set; } = 5;
    public int Runs { get; set; } = 3;
    public uint Batch { get; set; } = 512;
    public double WarmupSeconds { get; set; } = 1;
    /// <summary>Explicit pinning (S, R, W), or null for the default layout.</summary>
    public int[]? Cpus { get; set; }
    public bool NoPinning { get; set; }
    /// <summary>null: busy embedded, poll daemon.</summary>
    public bool? Busy { get; set; }
    public int WorkerSpinMicroseconds { get; set; } = 50;
    public bool RateLines { get; set; }

    public static BenchOptions? Parse(string[] args, out string? error)
    {
        error = null;
        var o = new BenchOptions();
        for (int i = 0; i < args.Length; i++)
        {
            string a = args[i];
            string? Next() => i + 1 < args.Length ? args[++i] : null;
            bool Int(string name, int min, int max, out int v)
            {
                string? s = Next();
                v = 0;
                if (s is not null && int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out v) && v >= min && v <= max) return true;
                return false;
            }
            switch (a)
            {
                case "unicast" or "broadcast" or "daemon":
                    o.Modes.Add(new BenchMode(a, 1));
                    break;
                case "nto1":
                    if (!Int(a, 1, 16, out int n)) { error = "nto1 needs a sender count 1..16"; return null; }
                    o.Modes.Add(new BenchMode(a, n));
                    break;
                case "all":
                    o.Modes.AddRange([new("unicast", 1), new("broadcast", 1), new("nto1", 2), new("daemon", 1)]);
                    break;
                case "--size":
                    if (!Int(a, 60, 1514, out int size)) { error = "--size needs a frame length 60..1514"; return null; }
                    o.Size = size;
                    break;
                case "--seconds":
                    if (!Int(a, 1, 3600, out int secs)) { error = "--seconds needs 1..3600"; return null; }
                    o.Seconds = secs;
                    break;
                case "--runs":
                    if (!Int(a, 1, 100, out int runs)) { error = "--runs needs 1..100"; return null; }
                    o.Runs = runs;
                    break;
                case "--batch":
                    if (!Int(a, 1, 4096, out int batch)) { error = "--batch needs 1..4096 slots"; return null; }
                    o.Batch = (uint)batch;
                    break;
                case "--warmup":
                    if (!double.TryParse(Next(), NumberStyles.Float, CultureInfo.InvariantCulture, out double w) || w < 0 || w > 60)
                    { error = "--warmup needs 0..60 seconds"; return null; }
                    o.WarmupSeconds = w;
                    break;
                case "--cpus":
                {
                    string? s = Next();
                    if (s == "none") { o.NoPinning = true; break; }
                    var parts = s?.Split(',') ?? [];
                    var cpus = new int[parts.Length];
                    if (parts.Length is < 2 or > 3 || !parts.Select((p, k) => int.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out cpus[k]) && cpus[k] < 64).All(ok => ok))
                    { error = "--cpus needs S,R[,W] (CPU numbers) or none"; return null; }
                    o.Cpus = cpus;
                    break;
                }
                case "--wait":
                    string? m = Next();
                    if (m is not ("busy" or "poll")) { error = "--wait needs busy or poll"; return null; }
                    o.Busy = m == "busy";
                    break;
                case "--worker-spin-us":
                    if (!Int(a, 0, 1_000_000, out int spin)) { error = "--worker-spin-us needs 0..1000000"; return null; }
                    o.WorkerSpinMicroseconds = spin;
                    break;
                case "--rate-lines":
                    o.RateLines = true;
                    break;
                default:
                    error = $"unknown argument '{a}'";
                    return null;
            }
        }
        if (o.Modes.Count == 0) { error = "no mode given"; return null; }
        return o;
    }

    /// <summary>(sender CPU, receiver CPU, worker CPU) for <paramref name="mode"/>; -1 = not pinned.</summary>
    public (int Sender, int Receiver, int Worker) Layout(BenchMode mode)
    {
        if (NoPinning) return (-1, -1, -1);
        if (Cpus is { } c) return (c[0], c[1], c.Length > 2 ? c[2] : -1);
        if (Environment.ProcessorCount < 2) return (-1, -1, -1);
        return mode.Daemon ? (1, 1, 0) : (0, 1, -1);
    }

    public bool BusyFor(BenchMode mode) => Busy ?? !mode.Daemon;
}
