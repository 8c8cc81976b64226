using Netmap.Engine;
using Netmap.Hosting;
using Netmap.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Netmap.Tests.Api;

/// <summary>
/// Dispose racing with everything else, on several threads, many times, on both hosts: a pipe's two ends are
/// hammered (Inject + TxSync, Poll(Out) and WaitForPeer on the master; RxSync + NextPacket, Dispatch and an
/// awaited WaitAsync loop on the slave) while the test disposes both at a random moment, in a random order. The
/// only exception a worker may see is ObjectDisposedException, every worker must end, and the process must
/// survive: an access to an unmapped region or a closed descriptor would kill the test host or hang it here.
/// </summary>
public sealed class DisposeRaceTests(DaemonFixture daemon, ITestOutputHelper log) : IClassFixture<DaemonFixture>
{
    [Fact(Timeout = 120_000)]
    public async Task Dispose_RacingWithEveryCall_Embedded_NeverCrashes()
    {
        await Task.Yield();
        using var engine = new NetmapEngine();
        Hammer(NetmapHost.Embedded(engine), "re", 150);
    }

    [Fact(Timeout = 120_000)]
    public async Task Dispose_RacingWithEveryCall_ThroughNetmapd_NeverCrashes()
    {
        await Task.Yield();
        Hammer(NetmapHost.Daemon(daemon.SocketPath), "rd", 40);
        Assert.False(daemon.HasExited);
    }

    private struct Count : IPacketHandler
    {
        public long N;
        public void Handle(ReadOnlySpan<byte> frame) { N += frame.Length; }
    }

    private void Hammer(NetmapHost host, string parent, int iterations)
    {
        var rng = new Random(1234);
        int disposedSeen = 0;
        for (int it = 0; it < iterations; it++)
        {
            // A pipe of its own each time: disposing both ends frees it and its parent's region (unmapped).
            var master = NetmapPort.Open($"netmap:{parent}{it}{{1", host);
            var slave = NetmapPort.Open($"netmap:{parent}{it}}}1", host);
            var errors = new List<Exception>();
            int ended = 0;
            using var go = new ManualResetEventSlim();

            void Worker(Action step)
            {
                go.Wait();
                try
                {
                    while (true) step();
                }
                catch (ObjectDisposedException)
                {
                    Interlocked.Increment(ref disposedSeen);
                }
                catch (Exception e)
                {
                    lock (errors) errors.Add(e);
                }
                Interlocked.Increment(ref ended);
            }

            var frame = new byte[60];
            var threads = new List<Thread>
            {
                new(() => Worker(() => { master.Inject(frame); master.TxSync(); })),
                new(() => Worker(() => master.Poll(PollEvents.Out, 5))),
                new(() => Worker(() => master.WaitForPeer(1))),
                new(() => Worker(() => { slave.RxSync(); while (slave.NextPacket(out var f, out _)) _ = f[0]; })),
                new(() => Worker(() => { var c = new Count(); slave.Dispatch(0, ref c); slave.Poll(PollEvents.In, 0); })),
            };
            var waiter = Task.Run(async () =>
            {
                go.Wait();
                try
                {
                    while (true)
                    {
                        await slave.WaitAsync(PollEvents.In).ConfigureAwait(false);
                        _ = slave.Peer;
                    }
                }
                catch (ObjectDisposedException)
                {
                    Interlocked.Increment(ref disposedSeen);
                }
                catch (Exception e)
                {
                    lock (errors) errors.Add(e);
                }
            });
            foreach (var t in threads) { t.IsBackground = true; t.Start(); }
            go.Set();
            Thread.Sleep(rng.Next(0, 4));
            if (rng.Next(2) == 0) { slave.Dispose(); master.Dispose(); }
            else { master.Dispose(); slave.Dispose(); }
            foreach (var t in threads) Assert.True(t.Join(10_000), $"iteration {it}: a worker did not end after Dispose");
            Assert.True(waiter.Wait(10_000), $"iteration {it}: the WaitAsync loop did not end after Dispose");
            Assert.Equal(threads.Count, ended);
            lock (errors) Assert.True(errors.Count == 0, $"iteration {it}: {string.Join("\n", errors)}");
        }
        log.WriteLine($"{iterations} iterations, {disposedSeen} calls refused with ObjectDisposedException");
        Assert.True(disposedSeen >= iterations * 6, $"only {disposedSeen} workers saw the Dispose");
    }
}
