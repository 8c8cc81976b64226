using Netmap.Abi;
using Netmap.Interop;
using Netmap.Memory;
using Netmap.Rings;

namespace Netmap.Adapters.Vale;

/// <summary>
/// A VALE port (netmap_vp_adapter): TX and RX rings with their own buffers in the port's region (private unless
/// the request named a mem_id), plugged into at most one switch. Ephemeral ports ("vale0:a" opened) die with their
/// last registration; persistent ones (VALE_NEWIF) live until VALE_DELIF.
/// Control-path members are used under the engine lock; the forwarding members (rings, queues, counters,
/// <see cref="Switch"/>, <see cref="PortIndex"/>) are read by forwarders under the switch lock.
/// </summary>
internal sealed class ValePort : NetmapAdapter
{
    private readonly KickLine _kick;
    private readonly KickLine _engineKick;
    private readonly Action<ValePort> _onUnused;
    private long _rxPackets, _rxBytes, _rxDrops, _txPackets, _txBytes, _txDrops;

    private ValePort(string name, MemoryRegion region, BufferOwner buffers, RingFactory.CreatedRing[] tx, RingFactory.CreatedRing[] rx, KickLine kick,
        KickLine engineKick, bool persistent, Action<ValePort> onUnused) : base(name, region, tx, rx)
    {
        Buffers = buffers;
        _kick = kick;
        _engineKick = engineKick;
        Persistent = persistent;
        _onUnused = onUnused;
        TxHwCur = new uint[tx.Length];
        RxQueues = rx.Select(r => new ValeRxQueue(r.NumSlots)).ToArray();
        var mem = region.Mapping;
        TxViews = tx.Select(r => new NetmapRing(mem, r.Offset, region.Buffers.Geometry.ObjTotal, region.Buffers.Offset, region.Buffers.Geometry.ObjSize, name)).ToArray();
        RxViews = rx.Select(r => new NetmapRing(mem, r.Offset, region.Buffers.Geometry.ObjTotal, region.Buffers.Offset, region.Buffers.Geometry.ObjSize, name)).ToArray();
    }

    /// <summary>The buffers of the port's rings (what <see cref="Destroy"/> reclaims).</summary>
    public BufferOwner Buffers { get; }
    /// <summary>True for VALE_NEWIF ports (they outlive their registrations).</summary>
    public bool Persistent { get; }
    /// <summary>The switch the port is plugged into, or null (a persistent port not attached).</summary>
    public ValeSwitch? Switch { get; set; }
    /// <summary>Index in <see cref="Switch"/> (valid while attached).</summary>
    public byte PortIndex { get; set; }
    /// <summary>virtio-net header length (0, 10 or 12): the first bytes of every packet this port sends and receives.</summary>
    public int VirtioHeaderLength { get; set; }
    /// <summary>The engine's own hwcur per TX ring (the shared copy is for the client's prologue only).</summary>
    public uint[] TxHwCur { get; }
    public ValeRxQueue[] RxQueues { get; }
    /// <summary>Engine views of the rings (geometry validated once).</summary>
    public NetmapRing[] TxViews { get; }
    public NetmapRing[] RxViews { get; }
    /// <summary>Set when the port's only client is the engine's own process (an attached interface's bridge thread):
    /// its txsync forwards in the caller, as an embedded engine's do, and the worker skips the port.</summary>
    public volatile bool ForwardedByCaller;
    /// <summary>The netmapd worker that forwards this port's TX rings (null when syncs run in the caller).</summary>
    public ValeWorker? Worker { get; set; }

    public override KickLine Kick => _kick;
    /// <summary>In netmapd: this port's line to its forwarding worker, signalled by the client's txsync when the worker
    /// sleeps (the worker polls every port's wait end, so a client that abuses its own line affects only its port).</summary>
    public override KickLine? PeerKick => Worker is null ? null : _engineKick;
    /// <summary>The worker's end of <see cref="PeerKick"/>.</summary>
    public KickLine EngineKick => _engineKick;

    public ref KringState TxState(int ring) => ref RingFactory.State(Region, TxRings[ring]);
    public ref KringState RxState(int ring) => ref RingFactory.State(Region, RxRings[ring]);

    /// <summary>Creates the rings, each slot with its own buffer; ENOMEM leaves nothing behind.</summary>
    public static ValePort Create(string name, MemoryRegion region, int txRings, int rxRings, uint txSlots, uint rxSlots,
        bool persistent, Action<ValePort> onUnused)
    {
        var created = new List<RingFactory.CreatedRing>();
        var tx = new RingFactory.CreatedRing[txRings];
        var rx = new RingFactory.CreatedRing[rxRings];
        KickLine? kick = null, engineKick = null;
        var buffers = region.Ledger.CreateOwner(name);
        try
        {
            // RX first, as netmap does: on a fresh region RX ring 0 holds buffers 2..num_slots+1.
            for (int i = 0; i < rxRings; i++) created.Add(rx[i] = RingFactory.CreateWithBuffers(region, buffers, rxSlots, false, (ushort)i, KringKind.ValeRx, name));
            for (int i = 0; i < txRings; i++) created.Add(tx[i] = RingFactory.CreateWithBuffers(region, buffers, txSlots, true, (ushort)i, KringKind.ValeTx, name));
            kick = KickLine.Create(name);
            engineKick = KickLine.Create(name);
            region.Users++;
            return new ValePort(name, region, buffers, tx, rx, kick, engineKick, persistent, onUnused);
        }
        catch
        {
            kick?.Dispose();
            engineKick?.Dispose();
            RingFactory.DestroyAll(region, buffers, created);
            throw;
        }
    }

    /// <summary>Puts every ring back to its initial state (netmap recreates krings when a port enters netmap mode).
    /// Only while nobody is bound and no forwarder touches the port.</summary>
    public void ResetRings()
    {
        for (int i = 0; i < TxRings.Length; i++) ResetRing(TxViews[i], ref TxState(i), isTx: true);
        for (int i = 0; i < RxRings.Length; i++) { ResetRing(RxViews[i], ref RxState(i), isTx: false); RxQueues[i].Reset(); }
        Array.Clear(TxHwCur);
    }

    private static void ResetRing(NetmapRing ring, ref KringState ks, bool isTx)
    {
        uint n = ring.NumSlots, tail = isTx ? n - 1 : 0;
        ref var h = ref ring.Header;
        h.Head = h.Cur = 0; h.Tail = tail;
        ks.HwCur = ks.RHead = ks.RCur = 0;
        ks.HwTail = ks.RTail = tail;
        ks.NeedKick = 0;
        ks.EngineNeedKick = 1; // the worker may be asleep: the first txsync kicks it
        ks.SyncLock = 0;
    }

    /// <summary>Frees rings, the port's buffers (those another live holder of the region has now move to it) and the
    /// kick lines. The region is released by the caller.</summary>
    public void Destroy()
    {
        RingFactory.DestroyAll(Region, Buffers, TxRings.Concat(RxRings));
        _kick.Dispose();
        _engineKick.Dispose();
    }

    public override void OnUnused() => _onUnused(this);

    // ---------------------------------------------------------------- counters (any forwarding thread)

    public void CountTx(long packets, long bytes, long drops)
    {
        if (packets != 0) { Interlocked.Add(ref _txPackets, packets); Interlocked.Add(ref _txBytes, bytes); }
        if (drops != 0) Interlocked.Add(ref _txDrops, drops);
    }

    public void CountRx(long packets, long bytes, long drops)
    {
        if (packets != 0) { Interlocked.Add(ref _rxPackets, packets); Interlocked.Add(ref _rxBytes, bytes); }
        if (drops != 0) Interlocked.Add(ref _rxDrops, drops);
    }

    public NmReqValePortStats Stats() => new()
    {
        RxPackets = (ulong)Volatile.Read(ref _rxPackets), RxBytes = (ulong)Volatile.Read(ref _rxBytes), RxDrops = (ulong)Volatile.Read(ref _rxDrops),
        TxPackets = (ulong)Volatile.Read(ref _txPackets), TxBytes = (ulong)Volatile.Read(ref _txBytes), TxDrops = (ulong)Volatile.Read(ref _txDrops),
        BridgeIndex = (ushort)(Switch?.Index ?? 0), PortIndex = Switch is null ? NetmapConstants.BridgeNoPort : PortIndex,
    };
}
