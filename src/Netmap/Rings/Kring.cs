using System.Runtime.CompilerServices;
using Netmap.Abi;
using Netmap.Interop;
using Netmap.Memory;

namespace Netmap.Rings;

/// <summary>
/// A process-local handle on one ring and its shared <see cref="KringState"/>: what a sync routine works on.
/// The geometry is validated once here (ring header, kring record and region header must agree), so the sync
/// code can index slots without re-checking bounds.
/// </summary>
internal sealed class Kring
{
    public Kring(NetmapRing ring, long stateOffset, uint index)
    {
        Ring = ring;
        StateOffset = stateOffset;
        Index = index;
        NumSlots = ring.NumSlots;
        ref var ks = ref State;
        Kind = ks.Kind;
        // The shadow starts from the shared state as found (in range, else netmap's initial values).
        uint n = NumSlots, hwcur = Valid(ks.HwCur, n, 0);
        uint hwtail = Valid(ks.HwTail, n, ring.IsTx ? RingMath.Prev(hwcur, n) : hwcur);
        _shadow.Value = new SyncSnapshot
        {
            NumSlots = n, Seq = ks.SyncSeq, HwCur = hwcur, HwTail = hwtail,
            RHead = Valid(ks.RHead, n, hwcur), RCur = Valid(ks.RCur, n, hwcur), RTail = Valid(ks.RTail, n, hwtail),
        };
    }

    private static uint Valid(uint v, uint n, uint fallback) => v < n ? v : fallback;

    public NetmapRing Ring { get; }
    /// <summary>
    /// Process-local copy of what this handle's last sync left in the kring (written by <see cref="SyncPrologue.Commit"/>,
    /// under the ring's lock). Authoritative for the fields this ring's sync writes while the shared
    /// <see cref="KringState.SyncSeq"/> still holds the value it left (nobody else synced since); the fallback for
    /// any field found out of range. Syncs update it in place.
    /// </summary>
    public ref SyncSnapshot Shadow
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => ref _shadow.Value;
    }

    private SyncShadow _shadow;
    public long StateOffset { get; }
    /// <summary>Object index of the ring in the ring pool (= index in the kring table).</summary>
    public uint Index { get; }
    public uint NumSlots { get; }
    /// <summary>Kind as read when the handle was made (the engine writes it once, before handing the ring out).</summary>
    public KringKind Kind { get; }
    /// <summary>The peer ring (pipes), set by the port when it binds.</summary>
    public Kring? Peer { get; set; }
    /// <summary>Eventfd of the process side that waits on the peer ring (-1 = none).</summary>
    public int PeerKickFd { get; set; } = -1;
    /// <summary>The engine's own txsync, when the engine is in this process (VALE ports of an embedded engine).</summary>
    public InCallerSync? InCaller { get; set; }
    /// <summary>The kernel queue serving this ring (Linux interface and TAP rings), set by the port when it binds.</summary>
    public RingBackend? Backend { get; set; }

    public ref KringState State
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => ref Ring.Memory.Ref<KringState>(StateOffset);
    }

    /// <summary>Builds the handle for the ring at region offset <paramref name="ringOffset"/>, validating our region header.</summary>
    public static Kring Open(MappedMemory mem, in RegionLayout layout, long ringOffset, string owner)
    {
        long rel = ringOffset - layout.RingPoolOffset;
        if (rel < 0 || rel % layout.RingObjSize != 0 || rel / layout.RingObjSize >= layout.RingObjTotal)
            throw NetmapException.Create(owner, "ring", Errno.EFAULT, $"offset {ringOffset} is not a ring object");
        uint index = (uint)(rel / layout.RingObjSize);
        var ring = new NetmapRing(mem, ringOffset, layout.BufObjTotal, layout.BufPoolOffset, layout.BufObjSize, owner);
        if (NetmapRingHeader.ObjectSize(ring.NumSlots) > layout.RingObjSize)
            throw NetmapException.Create(owner, "ring", Errno.EFAULT, $"ring {index} has more slots than its object holds");
        long stateOffset = layout.KringTableOffset + (long)index * KringState.Size;
        if (!mem.Contains(stateOffset, KringState.Size))
            throw NetmapException.Create(owner, "ring", Errno.EFAULT, $"kring {index} outside the region");
        ref var ks = ref mem.Ref<KringState>(stateOffset);
        if (ks.NumSlots != ring.NumSlots || ks.RingOffset != ringOffset)
            throw NetmapException.Create(owner, "ring", Errno.EFAULT, $"kring {index} does not describe the ring at {ringOffset}");
        return new Kring(ring, stateOffset, index);
    }
}
