using Netmap.Interop;
using Netmap.Memory;
using Netmap.Rings;

namespace Netmap.Adapters;

/// <summary>
/// Engine-side state of one netmap adapter (one pipe end, one null port...): its rings in a region, who binds
/// them, and its wakeup eventfd. Lives only in the engine (embedded or netmapd); clients see the rings through
/// the region. All members are used under the engine lock.
/// </summary>
internal abstract class NetmapAdapter
{
    protected NetmapAdapter(string name, MemoryRegion region, RingFactory.CreatedRing[] txRings, RingFactory.CreatedRing[] rxRings)
    {
        Name = name;
        Region = region;
        TxRings = txRings;
        RxRings = rxRings;
        TxUsers = new int[txRings.Length];
        RxUsers = new int[rxRings.Length];
        TxExclusive = new uint[txRings.Length];
        RxExclusive = new uint[rxRings.Length];
    }

    /// <summary>The adapter's netmap name (e.g. "p{1", "null:x").</summary>
    public string Name { get; }
    public MemoryRegion Region { get; }
    public RingFactory.CreatedRing[] TxRings { get; }
    public RingFactory.CreatedRing[] RxRings { get; }
    public int[] TxUsers { get; }
    public int[] RxUsers { get; }
    /// <summary>Token of the registration holding each ring exclusively, 0 if none.</summary>
    public uint[] TxExclusive { get; }
    public uint[] RxExclusive { get; }
    /// <summary>Registrations currently bound to this adapter.</summary>
    public int Registrations { get; set; }

    /// <summary>Woken when something arrives for this adapter's rings (or space frees up).</summary>
    public abstract EventFd KickFd { get; }
    /// <summary>The eventfd to write when this adapter's syncs publish to the peer, or null.</summary>
    public abstract EventFd? PeerKickFd { get; }

    /// <summary>Host rings the port reports (0 for pipes and null ports).</summary>
    public virtual ushort HostTxRings => 0;
    public virtual ushort HostRxRings => 0;

    public uint TxSlots => TxRings.Length > 0 ? TxRings[0].NumSlots : 0;
    public uint RxSlots => RxRings.Length > 0 ? RxRings[0].NumSlots : 0;

    /// <summary>Called by the engine when the last registration is gone.</summary>
    public abstract void OnUnused();
}
