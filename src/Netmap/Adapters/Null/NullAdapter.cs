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
    private readonly KickLine _kick;
    private readonly AllocatorRegistry _allocators;
    private readonly BufferOwner _buffers;

    private NullAdapter(string name, MemoryRegion region, RingFactory.CreatedRing[] tx, RingFactory.CreatedRing[] rx, KickLine kick, AllocatorRegistry allocators,
        BufferOwner buffers)
        : base(name, region, tx, rx) { _kick = kick; _allocators = allocators; _buffers = buffers; }

    public override KickLine Kick => _kick;
    public override KickLine? PeerKick => null;

    /// <summary>Creates the rings (with buffers) in <paramref name="region"/>; ENOMEM leaves nothing behind.</summary>
    public static NullAdapter Create(string name, MemoryRegion region, ushort txRings, ushort rxRings, uint txSlots, uint rxSlots, AllocatorRegistry allocators)
    {
        var tx = new List<RingFactory.CreatedRing>();
        var rx = new List<RingFactory.CreatedRing>();
        var buffers = region.Ledger.CreateOwner(name);
        KickLine kick;
        try
        {
            for (ushort i = 0; i < rxRings; i++) rx.Add(RingFactory.CreateWithBuffers(region, buffers, rxSlots, false, i, KringKind.Null, name));
            for (ushort i = 0; i < txRings; i++) tx.Add(RingFactory.CreateWithBuffers(region, buffers, txSlots, true, i, KringKind.Null, name));
            kick = KickLine.Create(name);
        }
        catch
        {
            RingFactory.DestroyAll(region, buffers, tx.Concat(rx));
            throw;
        }
        region.Users++;
        return new NullAdapter(name, region, tx.ToArray(), rx.ToArray(), kick, allocators, buffers);
    }

    public override void OnUnused()
    {
        RingFactory.DestroyAll(Region, _buffers, TxRings.Concat(RxRings));
        Charge?.Dispose();
        _kick.Dispose();
        _allocators.Release(Region);
    }
}
