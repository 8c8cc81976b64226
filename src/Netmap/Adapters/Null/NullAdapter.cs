using Netmap.Interop;
using Netmap.Memory;
using Netmap.Rings;

namespace Netmap.Adapters.Null;

/// <summary>
/// A null port (NR_REG_NULL): rings over an existing allocator whose syncs do nothing. Never found by name
/// again: each registration makes its own, and it dies with that registration.
/// </summary>
internal sealed class NullAdapter : NetmapAdapter
{
    private readonly EventFd _kick;
    private readonly AllocatorRegistry _allocators;

    private NullAdapter(string name, MemoryRegion region, RingFactory.CreatedRing[] tx, RingFactory.CreatedRing[] rx, EventFd kick, AllocatorRegistry allocators)
        : base(name, region, tx, rx) { _kick = kick; _allocators = allocators; }

    public override EventFd KickFd => _kick;
    public override EventFd? PeerKickFd => null;

    /// <summary>Creates the rings (with buffers) in <paramref name="region"/>; ENOMEM leaves nothing behind.</summary>
    public static NullAdapter Create(string name, MemoryRegion region, ushort txRings, ushort rxRings, uint txSlots, uint rxSlots, AllocatorRegistry allocators)
    {
        var tx = new List<RingFactory.CreatedRing>();
        var rx = new List<RingFactory.CreatedRing>();
        try
        {
            for (ushort i = 0; i < rxRings; i++) rx.Add(CreateRing(region, rxSlots, false, i, name));
            for (ushort i = 0; i < txRings; i++) tx.Add(CreateRing(region, txSlots, true, i, name));
        }
        catch
        {
            foreach (var r in tx.Concat(rx)) DestroyRing(region, r);
            throw;
        }
        region.Users++;
        return new NullAdapter(name, region, tx.ToArray(), rx.ToArray(), EventFd.Create(name), allocators);
    }

    private static RingFactory.CreatedRing CreateRing(MemoryRegion region, uint slots, bool isTx, ushort id, string name)
    {
        var ring = RingFactory.Create(region, slots, isTx, id, KringKind.Null, name);
        var bufs = new uint[slots];
        if (!region.TryAllocateBuffers(bufs))
        {
            RingFactory.Destroy(region, ring);
            throw NetmapException.Create(name, "REGISTER", Abi.Errno.ENOMEM, $"not enough free buffers in mem_id {region.MemId}");
        }
        RingFactory.FillSlots(region, ring, bufs);
        return ring;
    }

    private static void DestroyRing(MemoryRegion region, RingFactory.CreatedRing ring)
    {
        foreach (ref var s in RingFactory.Slots(region, ring)) region.ReleaseBuffer(s.BufferIndex);
        RingFactory.Destroy(region, ring);
    }

    public override void OnUnused()
    {
        foreach (var r in TxRings) DestroyRing(Region, r);
        foreach (var r in RxRings) DestroyRing(Region, r);
        _kick.Dispose();
        _allocators.Release(Region);
    }
}
