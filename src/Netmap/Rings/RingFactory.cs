using Netmap.Abi;
using Netmap.Memory;

namespace Netmap.Rings;

/// <summary>
/// Engine-side creation and destruction of rings in a region: allocates the ring object, writes the netmap_ring
/// header and the kring record. Buffers are handed in by the caller (who decides which ring of a pair owns them).
/// </summary>
internal static class RingFactory
{
    /// <summary>A ring created in a region: its object index and region offset.</summary>
    public readonly record struct CreatedRing(uint Index, long Offset, uint NumSlots);

    /// <summary>Allocates a ring object with <paramref name="numSlots"/> slots, or ENOMEM (nothing changed).</summary>
    public static CreatedRing Create(MemoryRegion region, uint numSlots, bool isTx, ushort ringId, KringKind kind, string owner)
    {
        if (NetmapRingHeader.ObjectSize(numSlots) > region.Rings.Geometry.ObjSize)
            throw NetmapException.Create(owner, "REGISTER", Errno.ENOMEM, $"{numSlots} slots do not fit a {region.Rings.Geometry.ObjSize}-byte ring object of mem_id {region.MemId}");
        if (!region.Rings.TryAllocate(out uint index))
            throw NetmapException.Create(owner, "REGISTER", Errno.ENOMEM, $"ring pool of mem_id {region.MemId} is exhausted");
        long off = region.Rings.ObjectOffset(index);
        var mem = region.Mapping;
        mem.Span(off, (int)NetmapRingHeader.ObjectSize(numSlots)).Clear();
        ref var h = ref mem.Ref<NetmapRingHeader>(off);
        h.BufOfs = region.Buffers.Offset - off;
        h.NumSlots = numSlots;
        h.BufferSize = region.Buffers.Geometry.ObjSize;
        h.RingId = ringId;
        h.Direction = (ushort)(isTx ? 1 : 0);
        uint initialTail = isTx ? numSlots - 1 : 0;
        h.Head = h.Cur = 0;
        h.Tail = initialTail;
        ref var ks = ref mem.Ref<KringState>(region.KringOffset(index));
        ks = default;
        ks.HwCur = 0; ks.RHead = 0; ks.RCur = 0;
        ks.RTail = initialTail; ks.HwTail = initialTail;
        ks.Kind = kind;
        ks.PeerRing = KringState.NoPeer;
        ks.NumSlots = numSlots;
        ks.RingOffset = off;
        ks.IsTx = isTx ? 1u : 0u;
        return new CreatedRing(index, off, numSlots);
    }

    /// <summary>Writes buffer indices into the ring's slots (len = buffer size, flags 0, ptr 0, as netmap does).</summary>
    public static void FillSlots(MemoryRegion region, CreatedRing ring, ReadOnlySpan<uint> buffers)
    {
        var slots = region.Mapping.Span<NetmapSlot>(ring.Offset + NetmapRingHeader.OffsetOfSlots, (int)ring.NumSlots);
        ushort len = (ushort)Math.Min(region.Buffers.Geometry.ObjSize, ushort.MaxValue);
        for (int i = 0; i < slots.Length; i++)
            slots[i] = new NetmapSlot { BufferIndex = buffers[i], Length = len };
    }

    /// <summary><see cref="Create"/> plus a fresh buffer of <paramref name="buffers"/> in every slot; the ring is one of
    /// the places searched for that owner's buffers. ENOMEM leaves nothing behind.</summary>
    public static CreatedRing CreateWithBuffers(MemoryRegion region, BufferOwner buffers, uint numSlots, bool isTx, ushort ringId, KringKind kind, string owner)
    {
        var ring = Create(region, numSlots, isTx, ringId, kind, owner);
        var bufs = new uint[numSlots];
        if (!region.Ledger.TryAllocate(buffers, bufs))
        {
            Destroy(region, ring);
            throw NetmapException.Create(owner, "REGISTER", Errno.ENOMEM, $"not enough free buffers in mem_id {region.MemId} for {numSlots} slots");
        }
        FillSlots(region, ring, bufs);
        buffers.AddRing(ring.Offset, ring.NumSlots);
        return ring;
    }

    /// <summary>Retires <paramref name="buffers"/> (its buffers move to whoever holds them now, the rest are freed: see
    /// <see cref="BufferLedger.Retire"/>), then frees the ring objects.</summary>
    public static void DestroyAll(MemoryRegion region, BufferOwner buffers, IEnumerable<CreatedRing> rings)
    {
        region.Ledger.Retire(buffers);
        foreach (var r in rings) Destroy(region, r);
    }

    public static ref KringState State(MemoryRegion region, CreatedRing ring) => ref region.Mapping.Ref<KringState>(region.KringOffset(ring.Index));

    public static Span<NetmapSlot> Slots(MemoryRegion region, CreatedRing ring)
        => region.Mapping.Span<NetmapSlot>(ring.Offset + NetmapRingHeader.OffsetOfSlots, (int)ring.NumSlots);

    /// <summary>Returns the ring object to its pool (buffers belong to their <see cref="BufferOwner"/>, retired separately).</summary>
    public static void Destroy(MemoryRegion region, CreatedRing ring)
    {
        region.Mapping.Ref<KringState>(region.KringOffset(ring.Index)) = default;
        region.Rings.Release(ring.Index);
    }

    /// <summary>Frees every lock held by <paramref name="token"/> on this ring (its holder died).</summary>
    public static void ReleaseLock(MemoryRegion region, CreatedRing ring, uint token)
        => Interlocked.CompareExchange(ref State(region, ring).SyncLock, 0, token);
}
