using Netmap.Abi;
using Netmap.Api;
using Netmap.Tests.Vale;
using static Netmap.Tests.Monitors.MonitorKit;

namespace Netmap.Tests.Monitors;

/// <summary>
/// Copy monitors (/t /r /rt) of a pipe end, embedded and through an in-process netmapd: a /t monitor gets a copy of
/// each frame during the sender's txsync (with NS_TXMON), before the receiver has synced; a /r monitor gets the
/// frames that land in the end's RX ring, even if that end never syncs.
/// </summary>
public sealed class PipeCopyMonitorTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void TxMonitor_SeesTheFrameAtTheSendersTxSync_BeforeTheReceiverReads(bool daemon)
    {
        using var h = new ValeTestHost(daemon);
        using var m = NetmapPort.Open("netmap:ct{1", h.Host);
        using var s = NetmapPort.Open("netmap:ct}1", h.Host);
        using var mon = NetmapPort.Open("netmap:ct{1/t", h.Host);
        var f = Frame(1, 100);

        Put(m, f);
        Assert.Empty(Drain(mon)); // queued, not yet txsync'ed: nothing to see
        m.TxSync();
        var got = Drain(mon); // no waiting: the copy was made by the txsync itself
        Assert.Single(got);
        Assert.Equal(f, got[0].Data);
        Assert.True((got[0].Flags & SlotFlags.TxMonitor) != 0, "NS_TXMON on a copy from a TX ring");
        Assert.Equal(0u, s.RxRings[0].Tail); // the receiver has not synced yet...
        var r = Drain(s);                     // ...and still gets the frame, unchanged
        Assert.Single(r);
        Assert.Equal(f, r[0].Data);
        Assert.Equal(SlotFlags.None, r[0].Flags & SlotFlags.TxMonitor);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void RxMonitor_SeesFramesLandingInTheRxRing_EvenIfThatEndNeverSyncs(bool daemon)
    {
        using var h = new ValeTestHost(daemon);
        using var m = NetmapPort.Open("netmap:cr{1", h.Host);
        using var s = NetmapPort.Open("netmap:cr}1", h.Host);
        using var mon = NetmapPort.Open("netmap:cr}1/r", h.Host);
        var frames = Enumerable.Range(0, 5).Select(i => Frame(i, 60 + 10 * i)).ToArray();
        foreach (var f in frames) Put(m, f);
        m.TxSync();

        var got = Drain(mon);
        Assert.Equal(frames.Length, got.Count);
        for (int i = 0; i < frames.Length; i++)
        {
            Assert.Equal(frames[i], got[i].Data);
            Assert.Equal(SlotFlags.None, got[i].Flags & SlotFlags.TxMonitor); // from an RX ring
        }
        Assert.Equal(0u, s.RxRings[0].Tail); // the monitored end never synced
        Assert.Equal(frames.Length, Drain(s).Count);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void RxTxMonitor_SeesBothDirections_AndOneDirectionMonitorsOnlyTheirs(bool daemon)
    {
        using var h = new ValeTestHost(daemon);
        using var m = NetmapPort.Open("netmap:cb{1", h.Host);
        using var s = NetmapPort.Open("netmap:cb}1", h.Host);
        using var both = NetmapPort.Open("netmap:cb{1/rt", h.Host);
        using var txOnly = NetmapPort.Open("netmap:cb{1/t", h.Host);
        using var rxOnly = NetmapPort.Open("netmap:cb{1/r", h.Host);
        var out1 = Frame(1);
        var in1 = Frame(2, 80);
        Put(m, out1); m.TxSync();     // master TX
        Put(s, in1); s.TxSync();      // lands in master RX

        var b = Drain(both);
        Assert.Equal(2, b.Count);
        Assert.Equal(out1, b[0].Data);
        Assert.True((b[0].Flags & SlotFlags.TxMonitor) != 0);
        Assert.Equal(in1, b[1].Data);
        Assert.True((b[1].Flags & SlotFlags.TxMonitor) == 0);
        var t = Drain(txOnly);
        Assert.Equal([out1], t.Select(x => x.Data));
        var r = Drain(rxOnly);
        Assert.Equal([in1], r.Select(x => x.Data));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void SleepingMonitor_IsWokenWhenAFrameArrives(bool daemon)
    {
        using var h = new ValeTestHost(daemon);
        using var m = NetmapPort.Open("netmap:cw{1", h.Host);
        using var s = NetmapPort.Open("netmap:cw}1", h.Host);
        using var mon = NetmapPort.Open("netmap:cw}1/r", h.Host);
        var events = PollEvents.None;
        long ms = -1;
        var waiter = new Thread(() =>
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            events = mon.Poll(PollEvents.In, 5000);
            ms = clock.ElapsedMilliseconds;
        });
        waiter.Start();
        Thread.Sleep(100); // the monitor is asleep by now (it spins 50 us)
        Put(m, Frame(7)); m.TxSync();
        Assert.True(waiter.Join(5000));
        Assert.Equal(PollEvents.In, events);
        Assert.True(ms < 1000, $"woken after {ms} ms"); // a missed wakeup would wait for the 5 s timeout
        Assert.Single(Take(mon));
    }
}
