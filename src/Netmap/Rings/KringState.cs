using System.Runtime.InteropServices;

namespace Netmap.Rings;

/// <summary>
/// The kernel-side state of one ring (netmap's kring: hwcur, hwtail, rhead/rcur/rtail), kept in the shared
/// region's kring table so that every process that runs this ring's sync sees it. Indexed by the ring's object
/// index in the ring pool. Design: four cache lines so each writer has its own line.
/// <list type="bullet">
/// <item>line 0: written by whoever runs this ring's sync (under <see cref="SyncLock"/>): hwcur, rhead, rcur, rtail;
/// const fields written once by the engine.</item>
/// <item>line 1: <see cref="HwTail"/>, written by the producer of this ring's slots (the peer's txsync for a pipe
/// RX ring, this ring's own sync otherwise).</item>
/// <item>line 2: <see cref="NeedKick"/>, set by a waiter of this ring, cleared by the waker; <see cref="EngineNeedKick"/>
/// the same for the engine's forwarding worker.</item>
/// <item>line 3: counters, written by this ring's sync.</item>
/// </list>
/// Every field may have been overwritten by a buggy or hostile process of the same region, the "const" ones
/// included: readers copy each field once, validate the copy against the num_slots they cached when the ring was
/// opened, and use only the copy (see <see cref="SyncFrame"/>).
/// </summary>
[StructLayout(LayoutKind.Explicit, Size = 256)]
internal struct KringState
{
    [FieldOffset(0)] public uint HwCur;
    [FieldOffset(4)] public uint RHead;
    [FieldOffset(8)] public uint RCur;
    [FieldOffset(12)] public uint RTail;
    /// <summary>0 = free, else the registration token holding it (netmap's nm_kr_tryget). Freed by the engine when the holder dies.</summary>
    [FieldOffset(16)] public uint SyncLock;
    /// <summary>const (engine).</summary>
    [FieldOffset(20)] public KringKind Kind;
    /// <summary>const (engine): ring object index of the peer ring (pipes), else uint.MaxValue.</summary>
    [FieldOffset(24)] public uint PeerRing;
    /// <summary>const (engine).</summary>
    [FieldOffset(28)] public uint NumSlots;
    /// <summary>const (engine): region offset of this ring's netmap_ring.</summary>
    [FieldOffset(32)] public long RingOffset;
    /// <summary>const (engine): 1 when the ring is a TX ring.</summary>
    [FieldOffset(40)] public uint IsTx;
    /// <summary>(engine) bumped on every reinit, for diagnostics.</summary>
    [FieldOffset(44)] public uint Reinits;
    /// <summary>Monitor rings (engine): 1 once the monitored port left netmap mode; the monitor's syncs then fail
    /// (netmap's EIO).</summary>
    [FieldOffset(48)] public uint MonitorOrphaned;
    /// <summary>Bumped by every sync of this ring, in whichever process it runs (under <see cref="SyncLock"/>). A
    /// handle that finds the value it left knows nobody else synced the ring since, so its own copies of the fields
    /// this ring's sync writes are the truth and the shared ones can only differ by a scribble
    /// (see <see cref="SyncFrame"/>).</summary>
    [FieldOffset(52)] public uint SyncSeq;
    /// <summary>Pipe rings (engine): whether the other end of the pipe is open, so that this end's clients see it
    /// without a system call: bits 0..7 one of <see cref="PeerWaiting"/>, <see cref="PeerAttached"/>,
    /// <see cref="PeerClosed"/>, <see cref="PeerDied"/>; bits 8..31 how many times a peer end attached (wraps). Written
    /// only by the engine, with one 4-byte store per change to every ring of this end, when the peer end's first
    /// registration comes or its last one goes; then, after a full fence, this end's kick line is signalled if a ring of
    /// this end has <see cref="NeedKick"/> armed (the sync's own wakeup rule).</summary>
    [FieldOffset(56)] public uint PeerState;
    /// <summary>Pipe rings (engine): the process id of the peer end's last client (0: the engine's own process),
    /// written before <see cref="PeerState"/>; for messages only.</summary>
    [FieldOffset(60)] public uint PeerPid;

    [FieldOffset(64)] public uint HwTail;
    /// <summary>Monitor RX rings: lock of the monitored port's syncs that fill this ring (they may run in several
    /// processes at once): 0 = free, else the holder's registration token (or the engine's). Freed by the engine
    /// when the holder dies.</summary>
    [FieldOffset(68)] public uint MonitorLock;
    /// <summary>Monitored rings (engine): entries in use in the link table at <see cref="MonitorLink0"/>. 0 = no
    /// monitor, the only thing a sync tests on the monitors' behalf when there are none.</summary>
    [FieldOffset(72)] public uint MonitorCount;
    /// <summary>Monitor RX rings: slots dropped because the ring was full (or its lock stayed busy).</summary>
    [FieldOffset(80)] public ulong MonitorDrops;
    /// <summary>Monitored rings and zero-copy monitor rings (engine): the first of <see cref="MaxMonitorLinks"/> u32
    /// link entries (offsets 88..127): a monitor RX ring's object index in the low 24 bits, the link kind (1 copy,
    /// 2 zero-copy) in the high 8; 0 = empty entry. Readers validate every entry before use.</summary>
    [FieldOffset(88)] public uint MonitorLink0;

    [FieldOffset(128)] public uint NeedKick;
    /// <summary>VALE TX rings in netmapd: set by the forwarding worker before it sleeps, cleared by the client
    /// txsync that then writes the worker's kick line (the CSB's kern_need_kick).</summary>
    [FieldOffset(132)] public uint EngineNeedKick;

    /// <summary>Linux interface rings, const (engine): which of the registration's backend descriptors serves this
    /// ring (the kernel queue; a TX and an RX ring of one queue share it).</summary>
    [FieldOffset(136)] public uint BackendQueue;
    /// <summary>Linux interface rings, const (engine): backend geometry (AF_XDP: ring entries; AF_PACKET: block
    /// size, block count, frame size, TX frames). Validated by every process that maps the backend.</summary>
    [FieldOffset(140)] public uint BackendParam0;
    [FieldOffset(144)] public uint BackendParam1;
    [FieldOffset(148)] public uint BackendParam2;
    [FieldOffset(152)] public uint BackendParam3;

    /// <summary>Slots (packets' fragments) moved by this ring's syncs.</summary>
    [FieldOffset(192)] public ulong Slots;
    /// <summary>Bytes moved by this ring's syncs.</summary>
    [FieldOffset(200)] public ulong Bytes;
    /// <summary>Indices found invalid while syncing (counted and skipped).</summary>
    [FieldOffset(208)] public ulong BadIndices;
    /// <summary>Linux interface rings: the backend's position shared by every process that syncs this ring
    /// (AF_PACKET: current block and frame within it, next TX frame), written by this ring's sync.</summary>
    [FieldOffset(216)] public uint BackendCursor0;
    [FieldOffset(220)] public uint BackendCursor1;
    /// <summary>Linux interface rings: frames the backend could not carry (too long, malformed), written by this ring's sync.</summary>
    [FieldOffset(224)] public ulong BackendDrops;

    public const int Size = 256;
    /// <summary><see cref="PeerState"/> values: no peer end has been open yet; one is open; the last one was closed;
    /// the last one's process ended without closing it (killed, crashed, exited without closing the port).</summary>
    public const uint PeerWaiting = 0, PeerAttached = 1, PeerClosed = 2, PeerDied = 3;
    public const uint NoPeer = uint.MaxValue;
    /// <summary>Entries of the monitor link table (offsets 88..127).</summary>
    public const int MaxMonitorLinks = 10;
}
