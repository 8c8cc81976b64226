using Netmap.Abi;
using Netmap.Memory;
using Netmap.Rings;

namespace Netmap.Tests.Rings;

/// <summary>netmap_ring_reinit (spec 3): what a failed sync repairs, on a real 100-slot ring in a small region.</summary>
public sealed class RingReinitTests : IDisposable
{
    private const uint N = 100;
    private readonly MemoryRegion _region;
    private readonly Kring _kring;
    private readonly uint[] _buffers = new uint[N];

    public RingReinitTests()
    {
        _region = MemoryRegion.Create(9, new AllocatorParameters(1024, 4, 4096, 4, 2048, 256), isGlobal: false);
        var created = RingFactory.Create(_region, N, isTx: true, 0, KringKind.PipeTx, "reinit");
        Assert.True(_region.Ledger.TryAllocate(_region.Ledger.CreateOwner("reinit"), _buffers));
        RingFactory.FillSlots(_region, created, _buffers);
        var layout = RegionLayout.Read(_region.Mapping, _region.MemSize, "reinit");
        _kring = Kring.Open(_region.Mapping, layout, created.Offset, "reinit");
        // A ring in use: hwcur 37, the user owns [37, 90).
        ref var ks = ref _kring.State;
        ks.HwCur = ks.RHead = ks.RCur = 37;
        ks.HwTail = ks.RTail = 90;
        Ring.Head = Ring.Cur = 37;
        Ring.Tail = 90;
    }

    private NetmapRing Ring => _kring.Ring;

    public void Dispose() => _region.Dispose();

    [Fact]
    public void FreshRings_HaveNetmapsInitialState()
    {
        var layout = RegionLayout.Read(_region.Mapping, _region.MemSize, "fresh");
        var rx = Kring.Open(_region.Mapping, layout, RingFactory.Create(_region, N, isTx: false, 3, KringKind.PipeRx, "fresh").Offset, "fresh");
        var tx = Kring.Open(_region.Mapping, layout, RingFactory.Create(_region, N, isTx: true, 2, KringKind.PipeTx, "fresh").Offset, "fresh");

        Assert.Equal((0u, 0u, 0u), (rx.Ring.Head, rx.Ring.Cur, rx.Ring.Tail));        // RX: head = cur = tail = 0
        Assert.Equal((0u, 0u), (rx.State.HwCur, rx.State.HwTail));
        Assert.Equal((0u, 0u, N - 1), (tx.Ring.Head, tx.Ring.Cur, tx.Ring.Tail));     // TX: tail = num_slots - 1
        Assert.Equal((0u, N - 1, N - 1), (tx.State.HwCur, tx.State.HwTail, tx.State.RTail));
        Assert.False(rx.Ring.IsTx);
        Assert.True(tx.Ring.IsTx);
        Assert.Equal(0, rx.Ring.Header.Direction);
        Assert.Equal(1, tx.Ring.Header.Direction);
        Assert.Equal((3, 2), (rx.Ring.RingId, tx.Ring.RingId));
        Assert.Equal(2048u, tx.Ring.BufferSize);
        Assert.Equal(_region.Buffers.Offset, tx.Ring.Offset + tx.Ring.Header.BufOfs); // every ring points at buffer 0
        Assert.Equal(_region.Buffers.Offset, rx.Ring.Offset + rx.Ring.Header.BufOfs);
    }

    [Theory]
    [InlineData(0u, 10)]
    [InlineData(1u, 10)]
    [InlineData(256u, 10)]          // == total buffers
    [InlineData(uint.MaxValue, 0)]
    public void Reinit_GivesASlotWithABadBufferIndex_IndexZeroAndLengthZero(uint badIndex, int len)
    {
        Ring.Slot(50).BufferIndex = badIndex;
        Ring.Slot(50).Length = (ushort)len;

        bool repaired = SyncPrologue.Reinit(Ring, ref _kring.State);

        Assert.True(repaired);
        Assert.Equal(0u, Ring.Slot(50).BufferIndex);
        Assert.Equal(0, Ring.Slot(50).Length);
        Assert.Equal(_buffers[51], Ring.Slot(51).BufferIndex); // the others are untouched
        Assert.Equal(2048, Ring.Slot(51).Length);
    }

    [Fact]
    public void Reinit_ZeroesALengthAboveTheBufferSize_AndKeepsTheBuffer()
    {
        Ring.Slot(60).Length = 2049;
        Ring.Slot(61).Length = 2048;

        Assert.True(SyncPrologue.Reinit(Ring, ref _kring.State));

        Assert.Equal(0, Ring.Slot(60).Length);
        Assert.Equal(_buffers[60], Ring.Slot(60).BufferIndex);
        Assert.Equal(2048, Ring.Slot(61).Length);
    }

    [Theory]
    [InlineData(100u, 40u, 90u)]
    [InlineData(40u, 100u, 90u)]
    [InlineData(40u, 40u, 100u)]
    [InlineData(uint.MaxValue, uint.MaxValue, uint.MaxValue)]
    public void Reinit_ResetsHeadCurTailOutsideTheRing_ToHwcurAndHwtail(uint head, uint cur, uint tail)
    {
        Ring.Head = head; Ring.Cur = cur; Ring.Tail = tail;

        Assert.True(SyncPrologue.Reinit(Ring, ref _kring.State));

        Assert.Equal((37u, 37u, 90u), (Ring.Head, Ring.Cur, Ring.Tail));
        ref var ks = ref _kring.State;
        Assert.Equal((37u, 37u, 90u), (ks.RHead, ks.RCur, ks.RTail));
        Assert.Equal((37u, 90u), (ks.HwCur, ks.HwTail));
    }

    [Fact]
    public void Reinit_OfInRangeButInconsistentIndices_RepairsNothing_RecordsNothing_AndReturnsFalse()
    {
        Ring.Head = 20; Ring.Cur = 95; // head behind hwcur, cur past tail: wrong, but inside the ring

        Assert.False(SyncPrologue.Reinit(Ring, ref _kring.State));

        Assert.Equal((20u, 95u, 90u), (Ring.Head, Ring.Cur, Ring.Tail));
        ref var ks = ref _kring.State;
        Assert.Equal((37u, 37u, 90u), (ks.RHead, ks.RCur, ks.RTail)); // not recorded as rhead/rcur
        for (uint i = 0; i < N; i++) Assert.Equal(_buffers[i], Ring.Slot(i).BufferIndex);
    }

    [Fact]
    public void Reinit_RepairsKernelIndicesThatLeftTheRing()
    {
        ref var ks = ref _kring.State;
        ks.HwCur = 1000; ks.HwTail = 5000;

        Assert.True(SyncPrologue.Reinit(Ring, ref ks));

        Assert.True(ks.HwCur < N && ks.HwTail < N && ks.RHead < N && ks.RCur < N && ks.RTail < N);
        Assert.Equal((ks.HwCur, ks.HwCur, ks.HwTail), (Ring.Head, Ring.Cur, Ring.Tail));
    }

    [Fact]
    public void Reinit_OfAHealthyRing_ChangesNothing()
    {
        Assert.False(SyncPrologue.Reinit(Ring, ref _kring.State));
        Assert.Equal((37u, 37u, 90u), (Ring.Head, Ring.Cur, Ring.Tail));
        Assert.Equal(1u, _kring.State.Reinits);
    }
}
