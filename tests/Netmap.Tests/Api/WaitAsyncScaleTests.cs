using Netmap.Engine;
using Netmap.Hosting;
using Xunit.Abstractions;

namespace Netmap.Tests.Api;

/// <summary>
/// The pending path of WaitAsync and ReceiveAsync costs no thread and, in steady state, no allocation: 1000
/// concurrent waits on 1000 ports keep the process's thread count flat, and thousands of pending waits (and
/// ReceiveAsync steps) allocate nothing anywhere in the process.
/// </summary>
[Collection(ProcessMeasurementCollection.Name)]
public sealed class WaitAsyncScaleTests(ITestOutputHelper log)
{
    /// <summary>Threads of this process, from /proc/self/status.</summary>
    private static int ThreadCount()
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
            if (line.StartsWith("Threads:", StringComparison.Ordinal)) return int.Parse(line.AsSpan(8).Trim());
        throw new InvalidOperationException("no Threads: line");
    }

    [Fact(Timeout = 120_000)]
    public async Task AThousandConcurrentWaits_OnAThousandPorts_UseABoundedNumberOfThreads()
    {
        await Task.Yield();
        using var engine = new NetmapEngine();
        var host = NetmapHost.Embedded(engine);
        const int Pipes = 500;
        var masters = new List<NetmapPort>();
        var slaves = new List<NetmapPort>();
        try
        {
            for (int i = 0; i < Pipes; i++)
            {
                masters.Add(NetmapPort.Open($"netmap:sc{i}{{1", host));
                slaves.Add(NetmapPort.Open($"netmap:sc{i}}}1", host));
            }
            // Warm up the wait loop and the pool with one round trip.
            var warm = slaves[0].WaitAsync(PollEvents.In);
            masters[0].Inject(new byte[60]); masters[0].TxSync();
            await warm;
            while (slaves[0].NextPacket(out _, out _)) { }
            slaves[0].RxSync();

            int before = ThreadCount();
            // 1000 waits: both ends of every pipe wait for In (both RX rings are empty).
            var ports = masters.Concat(slaves).ToList();
            var waits = ports.Select(p => p.WaitAsync(PollEvents.In).AsTask()).ToList();
            await Task.Delay(300);
            int during = ThreadCount();
            Assert.All(waits, w => Assert.False(w.IsCompleted));
            log.WriteLine($"threads: {before} before, {during} with {waits.Count} waits pending");
            Assert.True(during - before <= 8, $"{waits.Count} pending waits took {during - before} threads");

            // Wake them all: each end sends one frame to the other.
            foreach (var p in ports) { Assert.True(p.Inject(new byte[60])); p.TxSync(); }
            var all = await Task.WhenAll(waits).WaitAsync(TimeSpan.FromSeconds(30));
            Assert.All(all, e => Assert.Equal(PollEvents.In, e));
            int after = ThreadCount();
            log.WriteLine($"threads after all completed: {after}");
            // 1000 continuations at once may make the thread pool add a few workers (more on a loaded machine); a
            // thread per wait would be 1000.
            Assert.True(after - before <= 32, $"completing {waits.Count} waits took {after - before} threads");
            Assert.True(masters.Concat(slaves).All(p => p.PendingWaits >= 1), "every wait went through the wait loop");
        }
        finally
        {
            foreach (var p in slaves.Concat(masters)) p.Dispose();
        }
    }

    [Fact(Timeout = 60_000)]
    public async Task PendingWaits_InSteadyState_AllocateNothingInTheProcess()
    {
        await Task.Run(async () =>
        {
            using var engine = new NetmapEngine();
            var host = NetmapHost.Embedded(engine);
            using var a = NetmapPort.Open("netmap:al{1", host);
            using var b = NetmapPort.Open("netmap:al}1", host);
            var frame = new byte[60];

            // Ping-pong: each side waits for the other's frame, so nearly every wait sleeps in the wait loop.
            async Task Pong(int rounds)
            {
                for (int i = 0; i < rounds; i++)
                {
                    await b.WaitAsync(PollEvents.In).ConfigureAwait(false);
                    while (b.NextPacket(out _, out _)) { }
                    b.Inject(frame);
                    b.TxSync();
                }
            }
            async Task Ping(int rounds)
            {
                for (int i = 0; i < rounds; i++)
                {
                    a.Inject(frame);
                    a.TxSync();
                    await a.WaitAsync(PollEvents.In).ConfigureAwait(false);
                    while (a.NextPacket(out _, out _)) { }
                }
            }
            const int Warm = 2000, Rounds = 5000;
            await Task.WhenAll(Pong(Warm), Ping(Warm)).ConfigureAwait(false);
            // The count is process-wide: whatever another test's leftover thread allocates meanwhile is counted too. So
            // up to three windows are measured; steady-state code allocates the same in each, noise does not.
            var windows = new List<(long Allocated, long Pending)>();
            for (int attempt = 0; attempt < 3; attempt++)
            {
                long pendingBefore = a.PendingWaits + b.PendingWaits;
                var pong = Pong(Rounds);
                var ping = Ping(Rounds);
                long before = GC.GetTotalAllocatedBytes(precise: true);
                await ping.ConfigureAwait(false);
                await pong.ConfigureAwait(false);
                long allocated = GC.GetTotalAllocatedBytes(precise: true) - before;
                long pending = a.PendingWaits + b.PendingWaits - pendingBefore;
                log.WriteLine($"{2 * Rounds} waits, {pending} of them pending: {allocated} bytes allocated in the process");
                windows.Add((allocated, pending));
                // Nothing per wait: the smallest object is 24 bytes, so less than a byte per wait on average means none
                // was made per wait (what remains is the runtime's own, e.g. the thread pool adding a thread).
                if (pending > Rounds && allocated < pending) return;
            }
            Assert.True(windows.All(w => w.Pending > Rounds), $"too few waits went pending: {string.Join(", ", windows.Select(w => w.Pending))}");
            Assert.Fail($"every window allocated: {string.Join(", ", windows.Select(w => $"{w.Allocated} bytes for {w.Pending} pending waits"))}");
        });
    }

    [Fact(Timeout = 60_000)]
    public async Task ReceiveAsync_InSteadyState_AllocatesNothingInTheProcess()
    {
        await Task.Run(async () =>
        {
            using var engine = new NetmapEngine();
            var host = NetmapHost.Embedded(engine);
            using var tx = NetmapPort.Open("netmap:ra{1", host);
            using var rx = NetmapPort.Open("netmap:ra}1", host);
            using var stop = new CancellationTokenSource();
            const int Warm = 2000, Window = 6000, Windows = 3, Total = Warm + Window * Windows;
            long received = 0;
            var frame = new byte[60];
            // Process-wide count (another test's leftover thread is counted too): windows after the warm-up are measured
            // separately and the quietest one decides; steady-state code allocates the same in each.
            var marks = new long[Windows + 1];
            var consumer = Task.Run(async () =>
            {
                await foreach (var batch in rx.ReceiveAsync(stop.Token).ConfigureAwait(false))
                {
                    foreach (var f in batch) received += f.Length > 0 ? 1 : 0;
                    long r = Volatile.Read(ref received);
                    if (r >= Warm && (r - Warm) % Window == 0) marks[(r - Warm) / Window] = GC.GetTotalAllocatedBytes(precise: true);
                    if (received >= Total) break;
                }
            });
            // One frame at a time, waiting for it to be taken: every step of the consumer sleeps first.
            for (int i = 0; i < Total; i++)
            {
                long want = i + 1;
                tx.Inject(frame);
                tx.TxSync();
                var spin = new SpinWait();
                while (Volatile.Read(ref received) < want && !consumer.IsCompleted) spin.SpinOnce(sleep1Threshold: -1);
            }
            await consumer.WaitAsync(TimeSpan.FromSeconds(30)).ConfigureAwait(false);
            var perWindow = Enumerable.Range(0, Windows).Select(k => marks[k + 1] - marks[k]).ToArray();
            log.WriteLine($"{Window} ReceiveAsync steps per window after warm-up ({rx.PendingWaits} pending waits in all): {string.Join(", ", perWindow)} bytes allocated");
            Assert.True(rx.PendingWaits > Total / 2, $"only {rx.PendingWaits} waits went pending");
            Assert.True(perWindow.Min() < Window, $"{perWindow.Min()} bytes for {Window} steps in the quietest window (less than a byte per step means no object per step)");
        });
    }
}
