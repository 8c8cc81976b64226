using System.Diagnostics;
using Netmap.Tests.Vale;

namespace Netmap.Tests.Pipes;

/// <summary>
/// A pipe end learns about its other end, on both hosts (embedded, and netmapd in this process): Waiting until the
/// peer first opens (no hang-up: frames wait), Attached, then Closed with Poll/WaitAsync reporting HangUp at once and
/// sleepers woken; frames sent before the close are delivered first; a new peer clears it (PeerArrivals counts) and
/// wakes WaitForPeer/WaitForPeerAsync; ReceiveAsync ends after the last frame. VALE ports report nothing (None);
/// a monitor reports its port leaving netmap mode.
/// </summary>
public sealed class PipePeerTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(5);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ALoneEnd_IsWaiting_AndPollSleepsNormally(bool daemon)
    {
        using var h = new ValeTestHost(daemon);
        using var m = NetmapPort.Open("netmap:pw{1", h.Host);
        Assert.Equal(PeerState.Waiting, m.Peer);
        Assert.Null(m.PeerFailure);
        Assert.Equal(0u, m.PeerArrivals);
        Assert.True(m.Inject(new byte[60])); // a frame for a receiver that is not there yet
        Assert.True(m.TxSync());
        var clock = Stopwatch.StartNew();
        Assert.Equal(PollEvents.None, m.Poll(PollEvents.In, 100));
        Assert.True(clock.ElapsedMilliseconds >= 90);
        Assert.False(m.WaitForPeer(50));

        using var s = NetmapPort.Open("netmap:pw}1", h.Host);
        Assert.Equal(PeerState.Attached, m.Peer);
        Assert.Equal(PeerState.Attached, s.Peer);
        Assert.Equal(1u, m.PeerArrivals);
        Assert.True(m.WaitForPeer(0));
        Assert.Equal(PollEvents.In, s.Poll(PollEvents.In, 1000)); // the early frame waited for it
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void PeerClosing_IsAHangUp_AfterItsFramesAreConsumed_AndANewPeerClearsIt(bool daemon)
    {
        using var h = new ValeTestHost(daemon);
        using var s = NetmapPort.Open("netmap:ph}1", h.Host);
        var m = NetmapPort.Open("netmap:ph{1", h.Host);
        Assert.True(m.Inject("last words"u8));
        Assert.True(m.TxSync());
        m.Dispose();

        Assert.Equal(PeerState.Closed, s.Peer);
        Assert.Equal("netmap:ph{1 was closed", s.PeerFailure);
        Assert.Equal(PollEvents.In | PollEvents.HangUp, s.Poll(PollEvents.In, 1000)); // its frame first
        Assert.True(s.NextPacket(out var f, out _));
        Assert.Equal("last words"u8.ToArray(), f.ToArray());
        var clock = Stopwatch.StartNew();
        Assert.Equal(PollEvents.HangUp, s.Poll(PollEvents.In, 5000)); // at once, not after the timeout
        Assert.True(clock.ElapsedMilliseconds < 1000, $"{clock.ElapsedMilliseconds} ms");
        Assert.Equal(PollEvents.HangUp, s.PrepareWait(PollEvents.In));
        Assert.Equal(1u, s.RxKrings[0].State.NeedKick); // a hang-up alone leaves the wakeup armed for a loop that sleeps anyway

        using var m2 = NetmapPort.Open("netmap:ph{1", h.Host);
        Assert.Equal(PeerState.Attached, s.Peer);
        Assert.Null(s.PeerFailure);
        Assert.Equal(2u, s.PeerArrivals);
        Assert.Equal(PollEvents.None, s.Poll(PollEvents.In, 0));
        Assert.True(m2.Inject("again"u8));
        Assert.True(m2.TxSync());
        Assert.Equal(PollEvents.In, s.Poll(PollEvents.In, 1000));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void PeerClosing_WakesASleepingPoll_AndAPendingWaitAsync(bool daemon)
    {
        using var h = new ValeTestHost(daemon);
        using var s = NetmapPort.Open("netmap:pk}1", h.Host);
        using var s2 = NetmapPort.Open("netmap:pk}2", h.Host);
        var m = NetmapPort.Open("netmap:pk{1", h.Host);
        var m2 = NetmapPort.Open("netmap:pk{2", h.Host);
        long wokeAfter = -1;
        var sleeper = Task.Run(() =>
        {
            var ev = s.Poll(PollEvents.In, 10_000);
            return ev;
        });
        var pending = s2.WaitAsync(PollEvents.In).AsTask();
        Thread.Sleep(100);
        Assert.False(sleeper.IsCompleted);
        Assert.False(pending.IsCompleted);
        var clock = Stopwatch.StartNew();
        m.Dispose();
        m2.Dispose();
        Assert.True(sleeper.Wait(Limit));
        wokeAfter = clock.ElapsedMilliseconds;
        Assert.Equal(PollEvents.HangUp, sleeper.Result);
        Assert.True(pending.Wait(Limit));
        Assert.Equal(PollEvents.HangUp, pending.Result);
        Assert.True(wokeAfter < 1000, $"woken {wokeAfter} ms after the close");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task WaitForPeer_AndWaitForPeerAsync_WakeWhenANewPeerAttaches(bool daemon)
    {
        using var h = new ValeTestHost(daemon);
        using var s = NetmapPort.Open("netmap:pa}1", h.Host);
        using var s2 = NetmapPort.Open("netmap:pa}2", h.Host);
        NetmapPort.Open("netmap:pa{1", h.Host).Dispose();
        Assert.Equal(PeerState.Closed, s.Peer);

        var sync = Task.Run(() => s.WaitForPeer(10_000));
        var async = s2.WaitForPeerAsync().AsTask();
        await Task.Delay(100);
        Assert.False(sync.IsCompleted);
        Assert.False(async.IsCompleted);
        var clock = Stopwatch.StartNew();
        using var m = NetmapPort.Open("netmap:pa{1", h.Host);
        using var m2 = NetmapPort.Open("netmap:pa{2", h.Host);
        Assert.True(await sync.WaitAsync(Limit));
        await async.WaitAsync(Limit);
        Assert.True(clock.ElapsedMilliseconds < 1000, $"woken after {clock.ElapsedMilliseconds} ms");
        Assert.Equal(2u, s.PeerArrivals);
        Assert.True(s2.WaitForPeerAsync().IsCompletedSuccessfully); // attached: at once
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task WaitForPeerAsync_IsCancellable(bool daemon)
    {
        using var h = new ValeTestHost(daemon);
        using var s = NetmapPort.Open("netmap:pc}1", h.Host);
        using var cts = new CancellationTokenSource(100);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => s.WaitForPeerAsync(cts.Token).AsTask().WaitAsync(Limit));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ReceiveAsync_GivesEveryFrame_ThenEndsWhenThePeerCloses(bool daemon)
    {
        using var h = new ValeTestHost(daemon);
        using var s = NetmapPort.Open("netmap:pr}1", h.Host);
        var m = NetmapPort.Open("netmap:pr{1", h.Host);
        const int Frames = 3000;
        var sender = Task.Run(() =>
        {
            for (int i = 0; i < Frames;)
            {
                if (m.Inject(BitConverter.GetBytes(i))) { i++; continue; }
                m.TxSync();
                m.Poll(PollEvents.Out, 1000);
            }
            m.TxSync();
            m.Dispose();
        });
        int next = 0, batches = 0;
        await foreach (var batch in s.ReceiveAsync())
        {
            batches++;
            Assert.True(batch.Count > 0);
            foreach (var frame in batch) Assert.Equal(next++, BitConverter.ToInt32(frame));
            await Task.Yield(); // the batch may be kept across an await: its frames stay put
            Assert.Equal(next - 1, BitConverter.ToInt32(batch[batch.Count - 1]));
        }
        await sender.WaitAsync(Limit);
        Assert.Equal(Frames, next);
        Assert.Equal(PeerState.Closed, s.Peer);
        Assert.True(batches <= Frames);
    }

    [Fact]
    public async Task ReceivedBatch_UsedAfterTheNextIteration_Throws()
    {
        using var p = new PipePair("pb");
        for (int i = 0; i < 2; i++)
        {
            Assert.True(p.Master.Inject(new byte[] { (byte)i }));
            Assert.True(p.Master.TxSync());
        }
        ReceivedBatch first = default;
        int steps = 0;
        await foreach (var batch in p.Slave.ReceiveAsync())
        {
            if (steps++ == 0)
            {
                first = batch;
                Assert.Equal(0, batch[0][0]);
                Assert.Equal(SlotFlags.None, batch.GetFlags(0) & SlotFlags.MoreFragments);
                Assert.Throws<ArgumentOutOfRangeException>(() => { _ = batch[batch.Count]; });
                Assert.True(p.Master.Inject(new byte[] { 9 }));
                Assert.True(p.Master.TxSync());
                continue;
            }
            var e = Assert.Throws<InvalidOperationException>(() => { _ = first[0]; });
            Assert.Contains("valid until the next iteration", e.Message);
            break;
        }
        Assert.Equal(2, steps);
        Assert.Throws<InvalidOperationException>(() => { _ = default(ReceivedBatch)[0]; });
    }

    [Fact]
    public async Task ReceiveAsync_HonoursCancellation_AndDispose()
    {
        using var p = new PipePair("pz");
        using var cts = new CancellationTokenSource(100);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var _ in p.Slave.ReceiveAsync(cts.Token)) { }
        });
        var loop = Task.Run(async () =>
        {
            await foreach (var _ in p.Slave.ReceiveAsync()) { }
        });
        await Task.Delay(100);
        p.Slave.Dispose();
        await Assert.ThrowsAsync<ObjectDisposedException>(() => loop.WaitAsync(Limit));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ValePorts_ReportNoPeer(bool daemon)
    {
        using var h = new ValeTestHost(daemon);
        using var a = NetmapPort.Open("vale0:pa", h.Host);
        using (NetmapPort.Open("vale0:pb", h.Host)) { }
        Assert.Equal(PeerState.None, a.Peer);
        Assert.Null(a.PeerFailure);
        Assert.Equal(PollEvents.None, a.Poll(PollEvents.In, 0));
        var e = Assert.Throws<InvalidOperationException>(() => a.WaitForPeer(0));
        Assert.Contains("no peer", e.Message);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void AMonitor_ReportsItsPortLeavingNetmapMode(bool daemon)
    {
        using var h = new ValeTestHost(daemon);
        var a = NetmapPort.Open("vale0:ma", h.Host);
        using var mon = NetmapPort.Open("vale0:ma/r", h.Host);
        Assert.Equal(PeerState.Attached, mon.Peer);
        a.Dispose();
        Assert.Equal(PeerState.Closed, mon.Peer);
        Assert.Equal("vale0:ma left netmap mode", mon.PeerFailure);
        Assert.Equal(PollEvents.Error | PollEvents.HangUp, mon.Poll(PollEvents.In, 1000));
        Assert.False(mon.WaitForPeer(50)); // never comes back
    }

    [Fact]
    public void AnInvalidPeerStateWord_ReadsAsAttached()
    {
        using var p = new PipePair("pv");
        p.Slave.TxKrings[0].State.PeerState = 0xFF07; p.Slave.RxKrings[0].State.PeerState = 0xFF07; // what a scribbling client of the region could leave
        Assert.Equal(PeerState.Attached, p.Slave.Peer);
        Assert.Equal(PollEvents.None, p.Slave.Poll(PollEvents.In, 0));
    }
}
