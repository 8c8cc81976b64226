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
        // A ring in use: hwcur 37, the user owns [37, 90). Set before the handle is made, which takes it as its shadow.
        ref var ks = ref RingFactory.State(_region, created);
        ks.HwCur = ks.RHead = ks.RCur = 37;
        ks.HwTail = ks.RTail = 90;
        ref var h = ref _region.Mapping.Ref<NetmapRingHeader>(created.Offset);
        h.Head = h.Cur = 37;
        h.Tail = 90;
        var layout = RegionLayout.Read(_region.Mapping, _region.MemSize, "reinit");
        _kring = Kring.Open(_region.Mapping, layout, created.Offset, "reinit");
    }

    /// <summary>The frame's steps: the read-once snapshot, then netmap_ring_reinit on it.</summary>
    private bool Reinit()
    {
        ref var ks = ref _kring.State;
        SyncPrologue.Read(_kring, ref ks, ownsHwCur: true, readHwTail: true, ownsHwTail: true, out var s);
        return SyncPrologue.Reinit(_kring, ref ks, ref s, ownsHwCur: true, ownsHwTail: true);
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

        bool repaired = Reinit();

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

        Assert.True(Reinit());

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

        Assert.True(Reinit());

        Assert.Equal((37u, 37u, 90u), (Ring.Head, Ring.Cur, Ring.Tail));
        ref var ks = ref _kring.State;
        Assert.Equal((37u, 37u, 90u), (ks.RHead, ks.RCur, ks.RTail));
        Assert.Equal((37u, 90u), (ks.HwCur, ks.HwTail));
    }

    [Fact]
    public void Reinit_OfInRangeButInconsistentIndices_PutsThemBack_RecordsNothing_AndKeepsTheSlots()
    {
        Ring.Head = 20; Ring.Cur = 95; // head behind hwcur, cur past tail: wrong, but inside the ring

        Assert.True(Reinit());

        Assert.Equal((37u, 37u, 90u), (Ring.Head, Ring.Cur, Ring.Tail)); // head to rhead, cur to head
        ref var ks = ref _kring.State;
        Assert.Equal((37u, 37u, 90u), (ks.RHead, ks.RCur, ks.RTail)); // not recorded as rhead/rcur
        for (uint i = 0; i < N; i++) Assert.Equal(_buffers[i], Ring.Slot(i).BufferIndex);
    }

    [Fact]
    public void Reinit_OfACurOutsideItsRange_MovesOnlyCur()
    {
        Ring.Head = 50; Ring.Cur = 95;

        Assert.True(Reinit());

        Assert.Equal((50u, 50u, 90u), (Ring.Head, Ring.Cur, Ring.Tail));
    }

    [Fact]
    public void Read_RepairsKernelIndicesThatLeftTheRing_FromTheShadow_AndCountsThem()
    {
        ref var ks = ref _kring.State;
        ks.HwCur = 1000; ks.HwTail = 5000;

        SyncPrologue.Read(_kring, ref ks, ownsHwCur: true, readHwTail: true, ownsHwTail: true, out var s);

        Assert.Equal((37u, 90u), (s.HwCur, s.HwTail));
        Assert.Equal((37u, 90u), (ks.HwCur, ks.HwTail)); // written back
        Assert.Equal(2ul, ks.BadIndices);
        Assert.True(SyncPrologue.Tx(in s));
    }

    [Fact]
    public void Read_TakesTheShadow_ForAnInRangeScribbleOfAnOwnField_WhileNobodyElseSynced()
    {
        ref var ks = ref _kring.State;
        ks.RTail = 10; ks.HwCur = 12; // plausible values, but this handle was the last to sync

        SyncPrologue.Read(_kring, ref ks, ownsHwCur: true, readHwTail: true, ownsHwTail: true, out var s);

        Assert.Equal((37u, 90u), (s.HwCur, s.RTail));
        Assert.Equal((37u, 90u), (ks.HwCur, ks.RTail));
        Assert.Equal(2ul, ks.BadIndices);
    }

    [Fact]
    public void Read_TakesTheSharedValues_OnceAnotherHandleSynced()
    {
        ref var ks = ref _kring.State;
        ks.HwCur = ks.RHead = ks.RCur = 50; ks.HwTail = ks.RTail = 20;
        ks.SyncSeq++; // another process's sync

        SyncPrologue.Read(_kring, ref ks, ownsHwCur: true, readHwTail: true, ownsHwTail: true, out var s);

        Assert.Equal((50u, 20u, 50u, 20u), (s.HwCur, s.HwTail, s.RHead, s.RTail));
        Assert.Equal(0ul, ks.BadIndices);
    }

    [Fact]
    public void Read_KeepsAForeignInRangeValue_AndReplacesOnlyAnOutOfRangeOne()
    {
        ref var ks = ref _kring.State;
        ks.HwCur = 40; // the worker's hwcur: any value in range is taken
        SyncPrologue.Read(_kring, ref ks, ownsHwCur: false, readHwTail: false, ownsHwTail: false, out var s);
        Assert.Equal(40u, s.HwCur);
        Assert.Equal(90u, s.HwTail); // not read: the shadow's
        Assert.Equal(0ul, ks.BadIndices);

        ks.HwCur = 1 << 30;
        SyncPrologue.Read(_kring, ref ks, ownsHwCur: false, readHwTail: false, ownsHwTail: false, out s);
        Assert.Equal(37u, s.HwCur);
        Assert.Equal(1u << 30, ks.HwCur); // not ours to write back
        Assert.Equal(1ul, ks.BadIndices);
    }

    [Fact]
    public void Reinit_ResetsKernelIndicesThatDisagreeAmongThemselves()
    {
        ref var ks = ref _kring.State;
        ks.SyncSeq++; // written by "another syncer": taken as read
        ks.RHead = 95; // outside [hwcur 37, rtail 90]

        Assert.True(Reinit());

        Assert.Equal((37u, 37u, 90u), (Ring.Head, Ring.Cur, Ring.Tail));
        Assert.Equal((37u, 37u, 90u), (ks.RHead, ks.RCur, ks.RTail));
    }

    [Fact]
    public void Reinit_OfAHealthyRing_ChangesNothing()
    {
        Assert.False(Reinit());
        Assert.Equal((37u, 37u, 90u), (Ring.Head, Ring.Cur, Ring.Tail));
        Assert.Equal(1u, _kring.State.Reinits);
    }
}
