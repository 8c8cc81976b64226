using Netmap.Abi;
using Netmap.Api;
using Netmap.Tests.Vale;
using static Netmap.Tests.Monitors.MonitorKit;

namespace Netmap.Tests.Monitors;

/// <summary>
/// Zero-copy monitors (/z) of pipe ends and VALE ports, both hosts: a frame reaches the monitor only once its slot
/// is released (TX: freed by the sender's txsync; RX: returned by the consumer), by buffer swap: the monitored slot
/// then holds a different buffer with NS_BUF_CHANGED. Buffers are conserved, and /z monitors chain.
/// </summary>
public sealed class ZeroCopyMonitorTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void PipeTx_TheMonitorSeesAFrameOnlyAfterTheSendersTxSyncFreedIt(bool daemon)
    {
        using var h = new ValeTestHost(daemon);
        using var m = NetmapPort.Open("netmap:zt{1", h.Host);
        using var s = NetmapPort.Open("netmap:zt}1", h.Host);
        using var z = NetmapPort.Open("netmap:zt{1/z", h.Host);
        var f = Frame(5, 150);
        uint slot = Put(m, f);
        uint before = m.TxRings[0].Slot(slot).BufferIndex;

        m.TxSync();                        // handed to the receiver, not freed
        Assert.Empty(Drain(z));
        Assert.Equal([f], Drain(s).Select(x => x.Data)); // consumed...
        s.RxSync();                        // ...and released by the receiver
        Assert.Empty(Drain(z));            // the sender has not reclaimed it yet
        m.TxSync();                        // tail advances over the slot: now the monitor has it
        var got = Drain(z);
        Assert.Single(got);
        Assert.Equal(f, got[0].Data);
        Assert.True((got[0].Flags & SlotFlags.TxMonitor) != 0);
        ref var ts = ref m.TxRings[0].Slot(slot);
        Assert.NotEqual(before, ts.BufferIndex);
        Assert.True((ts.Flags & SlotFlags.BufferChanged) != 0, "the sender's slot got the monitor's buffer: NS_BUF_CHANGED");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void PipeRx_TheMonitorSeesAFrameOnlyAfterTheConsumerReleasedIt(bool daemon)
    {
        using var h = new ValeTestHost(daemon);
        using var m = NetmapPort.Open("netmap:zr{1", h.Host);
        using var s = NetmapPort.Open("netmap:zr}1", h.Host);
        using var z = NetmapPort.Open("netmap:zr}1/z", h.Host);
        var f = Frame(6, 300);
        uint slot = Put(m, f);
        m.TxSync();

        s.RxSync();
        var rx = s.RxRings[0];
        Assert.Equal(1u, rx.Tail);        // the frame is in the consumer's hands
        uint before = rx.Slot(slot).BufferIndex;
        Assert.True(StaysEmpty(z), "a zero-copy monitor saw a frame its consumer had not released");
        rx.Head = rx.Cur = rx.Next(rx.Head); // consumed
        Assert.True(StaysEmpty(z), "consumed but not yet released (no rxsync)");
        s.RxSync();                        // released
        var got = Drain(z);
        Assert.Single(got);
        Assert.Equal(f, got[0].Data);
        Assert.Equal(SlotFlags.None, got[0].Flags & SlotFlags.TxMonitor);
        Assert.NotEqual(before, rx.Slot(slot).BufferIndex); // the consumer's slot holds the monitor's old buffer...
        m.TxSync();
        ref var ts = ref m.TxRings[0].Slot(slot);           // ...which flowed back to the sender, flagged
        Assert.Equal(rx.Slot(slot).BufferIndex, ts.BufferIndex);
        Assert.True((ts.Flags & SlotFlags.BufferChanged) != 0);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ValeTx_TheMonitorSeesAFrameOnlyOnceTheSwitchFreedItsSlot(bool daemon)
    {
        using var h = new ValeTestHost(daemon);
        using var a = NetmapPort.Open("vale0:a", h.Host);
        using var b = NetmapPort.Open("vale0:b", h.Host);
        using var z = NetmapPort.Open("vale0:a/z", h.Host);
        var f = Frame(8, 400);
        uint slot = Put(a, f);
        uint before = a.TxRings[0].Slot(slot).BufferIndex;
        Assert.True(StaysEmpty(z), "nothing was txsync'ed");

        ValeFrames.WaitTxDrained(a); // txsync; embedded: freed in it, netmapd: freed by the worker
        var got = Receive(z, 1);
        Assert.Single(got);
        Assert.Equal(f, got[0].Data);
        Assert.True((got[0].Flags & SlotFlags.TxMonitor) != 0);
        ref var ts = ref a.TxRings[0].Slot(slot);
        Assert.NotEqual(before, ts.BufferIndex);
        Assert.True((ts.Flags & SlotFlags.BufferChanged) != 0);
        Assert.Equal([f], Receive(b, 1).Select(x => x.Data)); // forwarded before the swap: b got the bytes
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ValeRx_TheMonitorSeesAFrameOnlyAfterTheConsumerReleasedIt(bool daemon)
    {
        using var h = new ValeTestHost(daemon);
        using var a = NetmapPort.Open("vale0:a", h.Host);
        using var b = NetmapPort.Open("vale0:b", h.Host);
        using var z = NetmapPort.Open("vale0:b/z", h.Host);
        var f = Frame(9, 500);
        ValeFrames.Send(a, f);

        var rx = b.RxRings[0];
        Assert.True(ValeFrames.WaitUntil(() => { b.RxSync(); return rx.Tail != rx.Head; }), "b never received the frame");
        uint slot = rx.Head, before = rx.Slot(slot).BufferIndex;
        Assert.Equal(f, rx.Payload(rx.Slot(slot)).ToArray());
        Assert.True(StaysEmpty(z), "a zero-copy monitor saw a frame its consumer had not released");
        rx.Head = rx.Cur = rx.Next(slot);
        b.RxSync();                       // released: swapped into the monitor during this rxsync
        var got = Drain(z);
        Assert.Single(got);
        Assert.Equal(f, got[0].Data);
        Assert.Equal(SlotFlags.None, got[0].Flags & SlotFlags.TxMonitor);
        Assert.NotEqual(before, rx.Slot(slot).BufferIndex);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ZeroCopyMonitors_Chain_TheSecondSeesWhatTheFirstReleased(bool daemon)
    {
        using var h = new ValeTestHost(daemon);
        using var m = NetmapPort.Open("netmap:zc{1", h.Host);
        using var s = NetmapPort.Open("netmap:zc}1", h.Host);
        using var z1 = NetmapPort.Open("netmap:zc{1/z", h.Host);
        using var z2 = NetmapPort.Open("netmap:zc{1/z", h.Host);
        var f = Frame(10, 250);
        Put(m, f); m.TxSync();
        Drain(s); s.RxSync();
        m.TxSync();

        Assert.True(StaysEmpty(z2), "the second of the chain saw the frame before the first released it");
        var first = Drain(z1);            // consumed by z1...
        Assert.Equal([f], first.Select(x => x.Data));
        z1.RxSync();                      // ...and released: it moves on to z2, NS_TXMON kept
        var second = Drain(z2);
        Assert.Single(second);
        Assert.Equal(f, second[0].Data);
        Assert.True((second[0].Flags & SlotFlags.TxMonitor) != 0);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ZeroCopyMonitorsOfAValePort_Chain_AndACopyMonitorSeesTheFrameToo(bool daemon)
    {
        using var h = new ValeTestHost(daemon);
        using var a = NetmapPort.Open("vale0:a", h.Host);
        using var b = NetmapPort.Open("vale0:b", h.Host);
        using var z1 = NetmapPort.Open("vale0:a/z", h.Host);
        using var z2 = NetmapPort.Open("vale0:a/z", h.Host);
        using var c = NetmapPort.Open("vale0:a/t", h.Host);
        var f = Frame(11, 333);
        ValeFrames.Send(a, f);

        Assert.Equal([f], Receive(c, 1).Select(x => x.Data));
        Assert.Equal([f], Receive(z1, 1).Select(x => x.Data));
        Assert.True(StaysEmpty(z2), "the second of the chain saw the frame before the first released it");
        z1.RxSync();
        Assert.Equal([f], Drain(z2).Select(x => x.Data));
        Assert.Equal([f], Receive(b, 1).Select(x => x.Data));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void BuffersAreConserved_AfterZeroCopyTrafficAndClose(bool daemon)
    {
        using var h = new ValeTestHost(daemon);
        using var keep = NetmapPort.Open("netmap:zb{0", h.Host); // keeps the parent region alive
        ushort memId = keep.MemId;
        long free0 = h.Engine.FreeBuffers(memId);
        using (var m = NetmapPort.Open("netmap:zb{1", h.Host))
        using (var s = NetmapPort.Open("netmap:zb}1", h.Host))
        {
            var z1 = NetmapPort.Open("netmap:zb{1/z", h.Host);
            var z2 = NetmapPort.Open("netmap:zb}1/z", h.Host);
            var c = NetmapPort.Open("netmap:zb{1/rt", h.Host);
            for (int round = 0; round < 50; round++)
            {
                for (int i = 0; i < 30; i++) Put(m, Frame(i, 60 + i));
                m.TxSync();
                Assert.Equal(30, Drain(s).Count);
                s.RxSync();
                m.TxSync();
                Drain(z1); z1.RxSync();
                if (round % 2 == 0) { Drain(z2); z2.RxSync(); }
                Drain(c); c.RxSync();
            }
            z1.Dispose(); z2.Dispose(); c.Dispose();
        }
        Assert.Equal(free0, h.Engine.FreeBuffers(memId));
        Assert.Equal(0, h.Engine.DoubleFrees);
    }
}
