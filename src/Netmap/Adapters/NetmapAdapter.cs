using Netmap.Interop;
using Netmap.Memory;
using Netmap.Rings;

namespace Netmap.Adapters;

/// <summary>
/// Engine-side state of one netmap adapter (one pipe end, one null port...): its rings in a region, who binds
/// them, and its wakeup kick line. Lives only in the engine (embedded or netmapd); clients see the rings through
/// the region. All members are used under the engine lock.
/// </summary>
internal abstract class NetmapAdapter
{
    protected NetmapAdapter(string name, MemoryRegion region, RingFactory.CreatedRing[] txRings, RingFactory.CreatedRing[] rxRings,
        RingFactory.CreatedRing[]? hostTxRings = null, RingFactory.CreatedRing[]? hostRxRings = null)
    {
        Name = name;
        Region = region;
        TxRings = txRings;
        RxRings = rxRings;
        HostTx = hostTxRings ?? [];
        HostRx = hostRxRings ?? [];
        TxUsers = new int[txRings.Length + HostTx.Length];
        RxUsers = new int[rxRings.Length + HostRx.Length];
        TxExclusive = new uint[TxUsers.Length];
        RxExclusive = new uint[RxUsers.Length];
    }

    /// <summary>The adapter's netmap name (e.g. "p{1", "null:x").</summary>
    public string Name { get; }
    public MemoryRegion Region { get; }
    public RingFactory.CreatedRing[] TxRings { get; }
    public RingFactory.CreatedRing[] RxRings { get; }
    /// <summary>Host (software) rings: Linux interfaces only; empty elsewhere.</summary>
    public RingFactory.CreatedRing[] HostTx { get; }
    public RingFactory.CreatedRing[] HostRx { get; }
    /// <summary>Users and exclusive holders per ring, hardware rings first, then host rings (netmap_if order).</summary>
    public int[] TxUsers { get; }
    public int[] RxUsers { get; }
    /// <summary>Token of the registration holding each ring exclusively, 0 if none.</summary>
    public uint[] TxExclusive { get; }
    public uint[] RxExclusive { get; }
    /// <summary>What the adapter costs its creator (a port, its kick lines...), given back when it is destroyed; null
    /// for pipe ends (their <see cref="Pipe.NetmapPipe"/> carries the charge).</summary>
    public ResourceCharge? Charge { get; set; }

    /// <summary>Who owns the port and who else may see or use it (set by whoever creates it; a pipe end answers its
    /// pipe's). Null only for interfaces, whose use the engine's interface policy decides.</summary>
    public virtual ObjectAccess? Access { get; set; }

    /// <summary>Registrations currently bound to this adapter.</summary>
    public int Registrations { get; set; }

    /// <summary>Kicked when something arrives for this adapter's rings (or space frees up): its clients wait on
    /// <see cref="KickLine.WaitFd"/>, whoever publishes to them signals <see cref="KickLine.SignalFd"/>.</summary>
    public abstract KickLine Kick { get; }
    /// <summary>The line this adapter's client syncs signal when they publish to the other side (a pipe's peer end, a
    /// VALE port's forwarding worker), or null: clients get only its <see cref="KickLine.SignalFd"/>.</summary>
    public abstract KickLine? PeerKick { get; }

    /// <summary>Host rings the port reports (0 for pipes, VALE and null ports).</summary>
    public ushort HostTxRings => (ushort)HostTx.Length;
    public ushort HostRxRings => (ushort)HostRx.Length;

    /// <summary>TX ring <paramref name="i"/> in netmap_if order (hardware rings, then host rings).</summary>
    public RingFactory.CreatedRing TxRingAt(int i) => i < TxRings.Length ? TxRings[i] : HostTx[i - TxRings.Length];
    public RingFactory.CreatedRing RxRingAt(int i) => i < RxRings.Length ? RxRings[i] : HostRx[i - RxRings.Length];

    /// <summary>Called before a registration binds host rings (Linux interfaces set up their host path lazily).</summary>
    public virtual void PrepareHostRings() { }

    public uint TxSlots => TxRings.Length > 0 ? TxRings[0].NumSlots : 0;
    public uint RxSlots => RxRings.Length > 0 ? RxRings[0].NumSlots : 0;

    /// <summary>Called by the engine when the last registration is gone.</summary>
    public abstract void OnUnused();
}
