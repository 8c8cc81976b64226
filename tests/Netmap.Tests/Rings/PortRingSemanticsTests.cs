using Netmap.Abi;
using Netmap.Api;
using Netmap.Engine;
using Netmap.Hosting;
using Netmap.Rings;

namespace Netmap.Tests.Rings;

/// <summary>Ring semantics of spec 3 seen through real ports: a 100-slot pipe, one slot always empty, reinit on bad indices.</summary>
public sealed class PortRingSemanticsTests : IDisposable
{
    private const uint N = 100;
    private readonly NetmapEngine _engine = new();
    private readonly NetmapPort _tx;
    private readonly NetmapPort _rx;

    public PortRingSemanticsTests()
    {
        var host = NetmapHost.Embedded(_engine);
        _tx = NetmapPort.Open("netmap:r{1@conf:slots=100", host);
        _rx = NetmapPort.Open("netmap:r}1", host);
    }

    public void Dispose()
    {
        _rx.Dispose();
        _tx.Dispose();
        _engine.Dispose();
    }

    private NetmapRing TxRing => _tx.TxRings[0];
    private NetmapRing RxRing => _rx.RxRings[0];

    [Fact]
    public void HundredSlotRing_CanHoldNinetyNinePendingSlots_NeverAHundred()
    {
        Assert.Equal(N, TxRing.NumSlots);
        Assert.Equal(N, RxRing.NumSlots);
        Assert.Equal((0u, N - 1), (TxRing.Head, TxRing.Tail));
        Assert.Equal(N - 1, TxRing.Space);

        for (int i = 0; i < N - 1; i++) Assert.True(_tx.Inject(new byte[] { (byte)i }), $"packet {i}");
        Assert.False(_tx.Inject(new byte[] { 0xff }));
        Assert.Equal(0u, TxRing.Space);
        Assert.True(_tx.TxSync());
        Assert.Equal(0u, TxRing.Space);
        Assert.True(TxRing.HasPendingTx); // handed over but not consumed: next(tail) != head

        Assert.True(_rx.RxSync());
        Assert.Equal(N - 1, RxRing.Space);
        for (int i = 0; i < N - 1; i++)
        {
            Assert.True(_rx.NextPacket(out var f, out _));
            Assert.Equal((byte)i, f[0]);
        }
        Assert.False(_rx.NextPacket(out _, out _));
        Assert.True(_rx.RxSync());
        Assert.True(_tx.TxSync());
        Assert.Equal(N - 1, TxRing.Space);
        Assert.False(TxRing.HasPendingTx);
    }

    [Fact]
    public void HundredSlotRing_KeepsWorkingAsIndicesWrapManyTimes()
    {
        int sent = 0, received = 0;
        for (int round = 0; round < 60; round++)
        {
            int burst = 1 + round * 37 % 99;
            for (int i = 0; i < burst; i++)
            {
                Assert.True(_tx.Inject(BitConverter.GetBytes(sent)), $"round {round}: inject {i} with space {TxRing.Space}");
                sent++;
            }
            Assert.True(_tx.TxSync(), $"round {round}: txsync rejected head {TxRing.Head}");
            Assert.True(_rx.RxSync(), $"round {round}: rxsync rejected head {RxRing.Head}");
            while (_rx.NextPacket(out var f, out _))
            {
                Assert.Equal(received, BitConverter.ToInt32(f));
                received++;
            }
            Assert.True(_rx.RxSync());
            Assert.True(_tx.TxSync());
            Assert.Equal(N - 1, TxRing.Space);
        }
        Assert.Equal(sent, received);
        Assert.True(sent > 10 * (int)N);
        Assert.Equal(0u, _tx.TxKrings[0].State.Reinits);
        Assert.Equal(0u, _rx.RxKrings[0].State.Reinits);
    }

    [Fact]
    public void ReportFlag_IsAcceptedAndTheSlotIsDelivered()
    {
        ref var slot = ref TxRing.Slot(TxRing.Head);
        "report"u8.CopyTo(TxRing.Buffer(slot.BufferIndex));
        slot.Length = 6;
        slot.Flags = SlotFlags.Report;
        TxRing.Head = TxRing.Cur = TxRing.Next(TxRing.Head);

        Assert.True(_tx.TxSync());
        Assert.True(_rx.RxSync());
        Assert.True(_rx.NextPacket(out var f, out var flags));
        Assert.Equal("report"u8.ToArray(), f.ToArray());
        Assert.True(flags.HasFlag(SlotFlags.Report));
    }

    [Fact]
    public void RxSync_StampsTheRingTimestamp()
    {
        Assert.Equal(DateTime.UnixEpoch, RxRing.Timestamp);
        var before = DateTime.UtcNow.AddSeconds(-1);
        Assert.True(_rx.RxSync());
        var first = RxRing.Timestamp;
        Assert.InRange(first, before, DateTime.UtcNow.AddSeconds(1));
        Thread.Sleep(2);
        Assert.True(_rx.RxSync());
        Assert.True(RxRing.Timestamp > first);
    }

    [Fact]
    public void TxSync_WithHeadBeyondTail_IsSkippedReturnsFalse_AndLeavesHwcurUnchanged()
    {
        for (int i = 0; i < 10; i++) Assert.True(_tx.Inject(new byte[] { (byte)i }));
        Assert.True(_tx.TxSync());
        ref var ks = ref _tx.TxKrings[0].State;
        Assert.Equal(10u, ks.HwCur);

        for (int i = 0; i < 5; i++) Assert.True(_tx.Inject(new byte[] { 0xee }));
        TxRing.Head = TxRing.Cur = 5; // behind hwcur: "beyond tail" going forward from rhead 10 to rtail 99

        Assert.False(_tx.TxSync());
        Assert.Equal(10u, ks.HwCur);
        Assert.Equal(10u, ks.RHead);
        Assert.Equal(1u, ks.Reinits);

        Assert.True(_rx.RxSync());
        int n = 0;
        while (_rx.NextPacket(out _, out _)) n++;
        Assert.Equal(10, n); // the 5 slots after hwcur were not sent

        TxRing.Head = TxRing.Cur = 15; // fixed by the user: the sync goes through
        Assert.True(_tx.TxSync());
        Assert.Equal(15u, ks.HwCur);
    }

    [Fact]
    public void Poll_ReportsErrorWhenATxRingNeedsReinit()
    {
        Assert.True(_tx.Inject(new byte[] { 1 }));
        Assert.True(_tx.TxSync());
        TxRing.Head = TxRing.Cur = N; // outside the ring

        var ev = _tx.Poll(PollEvents.Out, 0);

        Assert.True(ev.HasFlag(PollEvents.Error), ev.ToString());
        Assert.Equal((1u, 1u), (TxRing.Head, TxRing.Cur)); // reset to hwcur
    }

    [Fact]
    public void Poll_ReportsErrorWhenAnRxRingNeedsReinit_AndStillFetchesNewSlots()
    {
        Assert.True(_tx.Inject(new byte[] { 1 }));
        Assert.True(_tx.TxSync());
        RxRing.Head = 7; RxRing.Cur = 7; // past tail 0

        var ev = _rx.Poll(PollEvents.In, 0);

        Assert.True(ev.HasFlag(PollEvents.Error), ev.ToString());
        Assert.Equal(1u, RxRing.Tail);
    }
}
