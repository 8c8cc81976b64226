using Netmap.Abi;
using Netmap.Api;
using Netmap.Tests.Vale;
using static Netmap.Tests.Monitors.MonitorKit;

namespace Netmap.Tests.Monitors;

/// <summary>
/// Copy monitors of a VALE port, embedded (the caller's txsync forwards, so the copy is made during that txsync)
/// and through an in-process netmapd (the forwarding worker copies, before it delivers to any receiver).
/// </summary>
public sealed class ValeCopyMonitorTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void TxMonitor_SeesTheFrameWhenTheSenderTxSyncs_BeforeAnyReceiverReads(bool daemon)
    {
        using var h = new ValeTestHost(daemon);
        using var a = NetmapPort.Open("vale0:a", h.Host);
        using var b = NetmapPort.Open("vale0:b", h.Host);
        using var mon = NetmapPort.Open("vale0:a/t", h.Host);
        var f = Frame(3, 200);

        Put(a, f);
        Assert.True(StaysEmpty(mon), "a frame nobody txsync'ed reached the monitor");
        a.TxSync();
        // Embedded: forwarded inside that txsync, so the copy is there at once; netmapd: the worker made it.
        var got = h.IsDaemon ? Receive(mon, 1) : Drain(mon);
        Assert.Single(got);
        Assert.Equal(f, got[0].Data);
        Assert.True((got[0].Flags & SlotFlags.TxMonitor) != 0, "NS_TXMON on a copy from a TX ring");
        Assert.Equal(0u, b.RxRings[0].Head); // the receiver has read nothing...
        var r = Receive(b, 1);              // ...and still gets the frame
        Assert.Single(r);
        Assert.Equal(f, r[0].Data);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void RxMonitor_SeesFramesTheSwitchDelivers_EvenIfThePortNeverSyncs(bool daemon)
    {
        using var h = new ValeTestHost(daemon);
        using var a = NetmapPort.Open("vale0:a", h.Host);
        using var b = NetmapPort.Open("vale0:b", h.Host);
        using var mon = NetmapPort.Open("vale0:b/r", h.Host);
        var frames = Enumerable.Range(0, 4).Select(i => Frame(i, 64 + 100 * i)).ToArray();
        foreach (var f in frames) Put(a, f);
        a.TxSync();

        var got = h.IsDaemon ? Receive(mon, frames.Length) : Drain(mon);
        Assert.Equal(frames.Length, got.Count);
        for (int i = 0; i < frames.Length; i++)
        {
            Assert.Equal(frames[i], got[i].Data);
            Assert.Equal(SlotFlags.None, got[i].Flags & SlotFlags.TxMonitor);
        }
        Assert.Equal(0u, b.RxRings[0].Tail); // b never synced
        Assert.Equal(frames, Receive(b, frames.Length).Select(x => x.Data));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void RxTxMonitor_SeesWhatThePortSendsAndReceives(bool daemon)
    {
        using var h = new ValeTestHost(daemon);
        using var a = NetmapPort.Open("vale0:a", h.Host);
        using var b = NetmapPort.Open("vale0:b", h.Host);
        using var mon = NetmapPort.Open("vale0:a/rt", h.Host);
        var sent = Frame(1);
        var received = ValeFrames.Frame(ValeFrames.Broadcast, ValeFrames.Mac(0x0b), 90, tag: 2);
        ValeFrames.Send(a, sent);
        ValeFrames.Send(b, received);

        var got = Receive(mon, 2);
        Assert.Equal(2, got.Count);
        var tx = got.Single(x => (x.Flags & SlotFlags.TxMonitor) != 0);
        var rx = got.Single(x => (x.Flags & SlotFlags.TxMonitor) == 0);
        Assert.Equal(sent, tx.Data);
        Assert.Equal(received, rx.Data);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void FullMonitorRing_DropsAndCounts_ButThePortGetsEverything(bool daemon)
    {
        using var h = new ValeTestHost(daemon);
        using var a = NetmapPort.Open("vale0:a", h.Host);
        using var b = NetmapPort.Open("vale0:b", h.Host);
        using var mon = NetmapPort.Open("vale0:b/r@conf:rx-slots=8", h.Host);
        Assert.Equal(8u, mon.RxSlots);
        var frames = Enumerable.Range(0, 20).Select(i => Frame(i)).ToArray();
        foreach (var f in frames) Put(a, f);
        a.TxSync();

        Assert.Equal(frames, Receive(b, frames.Length).Select(x => x.Data));
        var got = Receive(mon, 7, timeoutMs: 500);
        Assert.Equal(7, got.Count); // a ring holds num_slots - 1
        Assert.Equal(frames[13..], got.Select(x => x.Data)); // the newest are kept (netmap)
        Assert.Equal(13UL, Drops(mon));
    }
}
