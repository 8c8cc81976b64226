using System.Diagnostics;

namespace Netmap.Bench.Pcap;

/// <summary>Prints "pcap-bench: &lt;pps&gt; pps (&lt;total&gt; total)" on stderr once a second from a counter
/// that one other thread increments (read with Volatile; the writer never waits for the reporter).</summary>
public sealed class RateReporter : IDisposable
{
    private readonly Func<long> _read;
    private readonly Thread _thread;
    private readonly ManualResetEventSlim _done = new(false);

    public RateReporter(Func<long> read)
    {
        _read = read;
        _thread = new Thread(Loop) { IsBackground = true, Name = "pcap-bench reporter" };
        _thread.Start();
    }

    private void Loop()
    {
        long prev = _read(), t0 = Stopwatch.GetTimestamp();
        while (!_done.Wait(1000))
        {
            long now = Stopwatch.GetTimestamp(), n = _read();
            double secs = (now - t0) / (double)Stopwatch.Frequency;
            Console.Error.WriteLine($"pcap-bench: {(n - prev) / secs:F0} pps ({n} total)");
            prev = n; t0 = now;
        }
    }

    public void Dispose()
    {
        _done.Set();
        _thread.Join();
        _done.Dispose();
    }
}
