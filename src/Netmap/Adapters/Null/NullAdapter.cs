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

    private NullAdapter(string name, MemoryRegion region, RingFactory.CreatedRing[] tx, RingFactory.CreatedRing[] rx, KickLine kick, AllocatorRegistry allocators)
        : base(name, region, tx, rx) { _kick = kick; _allocators = allocators; }

    public override KickLine Kick => _kick;
    public override KickLine? PeerKick => null;

    /// <summary>Creates the rings (with buffers) in <paramref name="region"/>; ENOMEM leaves nothing behind.</summary>
    public static NullAdapter Create(string name, MemoryRegion region, ushort txRings, ushort rxRings, uint txSlots, uint rxSlots, AllocatorRegistry allocators)
    {
        var tx = new List<RingFactory.CreatedRing>();
        var rx = new List<RingFactory.CreatedRing>();
        try
        {
            for (ushort i = 0; i < rxRings; i++) rx.Add(RingFactory.CreateWithBuffers(region, rxSlots, false, i, KringKind.Null, name));
            for (ushort i = 0; i < txRings; i++) tx.Add(RingFactory.CreateWithBuffers(region, txSlots, true, i, KringKind.Null, name));
        }
        catch
        {
            foreach (var r in tx.Concat(rx)) RingFactory.DestroyWithBuffers(region, r);
            throw;
        }
        region.Users++;
        return new NullAdapter(name, region, tx.ToArray(), rx.ToArray(), KickLine.Create(name), allocators);
    }

    public override void OnUnused()
    {
        foreach (var r in TxRings) RingFactory.DestroyWithBuffers(Region, r);
        foreach (var r in RxRings) RingFactory.DestroyWithBuffers(Region, r);
        _kick.Dispose();
        _allocators.Release(Region);
    }
}
