using Netmap.Abi;
using Netmap.Memory;
using Netmap.Rings;

namespace Netmap.Tests.Memory;

/// <summary>
/// The engine's record of who owns each buffer: what a retiring owner frees is exactly what it was given (minus what a
/// live holder has now), whatever the shared slots and lists say.
/// </summary>
public sealed class BufferLedgerTests : IDisposable
{
    private readonly MemoryRegion _region = MemoryRegion.Create(7, new AllocatorParameters(1024, 8, 4096, 16, 2048, 512), isGlobal: false);

    public void Dispose() => _region.Dispose();

    private BufferLedger Ledger => _region.Ledger;

    private (BufferOwner Owner, RingFactory.CreatedRing Ring) OwnerWithRing(string name, uint slots = 16)
    {
        var o = Ledger.CreateOwner(name);
        return (o, RingFactory.CreateWithBuffers(_region, o, slots, true, 0, KringKind.Null, name));
    }

    private Span<NetmapSlot> Slots(RingFactory.CreatedRing r) => RingFactory.Slots(_region, r);

    /// <summary>A netmap_if object with an extra-buffer list of <paramref name="count"/> buffers of a new owner.</summary>
    private (BufferOwner Owner, long Nifp, uint[] List) OwnerWithList(string name, int count)
    {
        Assert.True(_region.Interfaces.TryAllocate(out uint ifIndex));
        long nifp = _region.Interfaces.ObjectOffset(ifIndex);
        var o = Ledger.CreateOwner(name);
        var list = new uint[count];
        Assert.True(Ledger.TryAllocate(o, list));
        WriteList(nifp, list);
        o.SetList(nifp, (uint)count);
        return (o, nifp, list);
    }

    private void WriteList(long nifp, uint[] list)
    {
        var mem = _region.Mapping;
        uint head = 0;
        for (int i = list.Length - 1; i >= 0; i--) { mem.Ref<uint>(_region.BufferOffset(list[i])) = head; head = list[i]; }
        mem.Ref<NetmapIfHeader>(nifp).BufsHead = head;
    }

    private void AssertBalanced() => Assert.Equal(Ledger.Usable, Ledger.Free + Ledger.Owned);

    [Fact]
    public void Retire_FreesWhatTheOwnerWasGiven_WhateverItsSlotsHoldNow()
    {
        long free0 = Ledger.Free;
        var (a, ra) = OwnerWithRing("a");
        var (b, rb) = OwnerWithRing("b");
        var bBuffers = Slots(rb).ToArray().Select(s => s.BufferIndex).ToArray();
        // a's slots now name b's buffers, reserved indices and indices past the pool.
        var sa = Slots(ra);
        for (int i = 0; i < sa.Length; i++) sa[i].BufferIndex = i % 3 == 0 ? bBuffers[i] : i % 3 == 1 ? 1u : 100_000u;

        Assert.Equal((0L, 16L), Ledger.Retire(a));
        RingFactory.Destroy(_region, ra);

        Assert.All(bBuffers, x => Assert.Same(b, Ledger.OwnerOf(x)));
        Assert.Equal(16, b.Count);
        Assert.Equal(free0 - 16, Ledger.Free);
        AssertBalanced();
    }

    [Fact]
    public void Retire_MovesBuffersALiveRingHolds_ToThatRingsOwner()
    {
        var (a, ra) = OwnerWithRing("a");
        var (b, rb) = OwnerWithRing("b");
        // Zero-copy swap of slot 3: a's buffer now sits in b's ring and the other way round.
        var sa = Slots(ra); var sb = Slots(rb);
        (sa[3].BufferIndex, sb[3].BufferIndex) = (sb[3].BufferIndex, sa[3].BufferIndex);
        uint aBufInB = sb[3].BufferIndex;

        uint bBufInA = sa[3].BufferIndex;

        var (moved, freed) = Ledger.Retire(a);

        // a's 15 others are freed, and so is b's buffer that only a's ring held (netmap frees what a closing ring holds).
        Assert.Equal((1L, 16L), (moved, freed));
        Assert.Same(b, Ledger.OwnerOf(aBufInB));
        Assert.Null(Ledger.OwnerOf(bBufInA));
        Assert.Equal(16, b.Count); // one buffer per slot again
        AssertBalanced();
        Ledger.Retire(b);
        Assert.Equal(Ledger.Usable, Ledger.Free);
    }

    [Fact]
    public void Retire_MovesBuffersALiveListHolds_AndWalksAtMostTheGrantedLength()
    {
        var (a, ra) = OwnerWithRing("a");
        var (l, nifp, list) = OwnerWithList("list", 4);
        // The user traded list entry 2 for ring slot 5 of a, then appended more of a's buffers to the list (not legal:
        // the walk stops after the 4 entries granted).
        var sa = Slots(ra);
        uint fromRing = sa[5].BufferIndex;
        (sa[5].BufferIndex, list[2]) = (list[2], fromRing);
        uint[] longer = [.. list, sa[6].BufferIndex, sa[7].BufferIndex];
        WriteList(nifp, longer);

        var (moved, _) = Ledger.Retire(a);

        Assert.Equal(1, moved);
        Assert.Same(l, Ledger.OwnerOf(fromRing));
        Assert.Null(Ledger.OwnerOf(longer[4]));
        Assert.Equal(4, l.Count); // the entry it traded away sat only in a's ring: freed with it
        AssertBalanced();
    }

    [Theory]
    [InlineData(0u)]
    [InlineData(1u)]
    [InlineData(600u)]
    [InlineData(uint.MaxValue)]
    public void AListHeadThatIsGarbage_StillFreesEveryGrantedBuffer(uint head)
    {
        long free0 = Ledger.Free;
        var (l, nifp, _) = OwnerWithList("list", 10);
        _region.Mapping.Ref<NetmapIfHeader>(nifp).BufsHead = head;
        Assert.Equal((0L, 10L), Ledger.Retire(l));
        Assert.Equal(free0, Ledger.Free);
    }

    [Fact]
    public void ABufferAnyLiveRingStillNames_IsNeverFreed_EvenIfOnlyTheLeavingOwnerWasGivenIt()
    {
        var (a, ra) = OwnerWithRing("a");
        var (b, rb) = OwnerWithRing("b");
        var (c, rc) = OwnerWithRing("c");
        // b's slot 0 is put into a's ring and into c's ring (c is hostile and copies indices it should not).
        uint x = Slots(rb)[0].BufferIndex;
        Slots(ra)[0].BufferIndex = x;
        Slots(rc)[1].BufferIndex = x;
        Ledger.Retire(a);
        Assert.Same(b, Ledger.OwnerOf(x)); // b's own ring names it too
        Ledger.Retire(b);
        Assert.Same(c, Ledger.OwnerOf(x)); // c still names it: it moves to c instead of being freed
        Ledger.Retire(c);
        Assert.Equal(Ledger.Usable, Ledger.Free);
    }

    [Fact]
    public void ALeavingOwnerThatNamesBuffersItGaveNothingFor_CannotGetThemFreed()
    {
        var (victim, rv) = OwnerWithRing("victim");
        var (h, rh) = OwnerWithRing("hostile");
        // The victim keeps three of its buffers where the engine does not look (a client's own pool of spares).
        var spare = new uint[3];
        Assert.True(Ledger.TryAllocate(victim, spare));
        var sh = Slots(rh);
        for (int i = 0; i < spare.Length; i++) sh[i].BufferIndex = spare[i];

        Ledger.Retire(h);

        Assert.All(spare, b => Assert.Same(victim, Ledger.OwnerOf(b)));
        Assert.Equal(19, victim.Count);
        AssertBalanced();
    }

    [Fact]
    public void AListThatLoops_IsWalkedABoundedNumberOfSteps_AndNothingIsLost()
    {
        long free0 = Ledger.Free;
        var (a, ra) = OwnerWithRing("a");
        var (l, nifp, list) = OwnerWithList("list", 5);
        _region.Mapping.Ref<uint>(_region.BufferOffset(list[4])) = list[1]; // 0 -> 1 -> 2 -> 3 -> 4 -> 1 -> ...
        Ledger.Retire(a);
        RingFactory.Destroy(_region, ra);
        Ledger.Retire(l);
        Assert.Equal(free0, Ledger.Free);
    }

    [Fact]
    public void ARetiredOwnersId_IsReused_WithoutInheritingAnything()
    {
        var a = Ledger.CreateOwner("a");
        Assert.True(Ledger.TryAllocate(a, new uint[3]));
        Ledger.Retire(a);
        var b = Ledger.CreateOwner("b");
        Assert.Equal(0, b.Count);
        Assert.True(Ledger.TryAllocate(b, new uint[2]));
        Assert.Equal(2, b.Count);
        Assert.Equal((0L, 0L), Ledger.Retire(a)); // retiring twice is a no-op
        Assert.Equal(2, b.Count);
        AssertBalanced();
    }
}
