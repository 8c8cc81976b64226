using Netmap.Abi;
using Netmap.Interop;
using Netmap.Memory;
using Netmap.Rings;

namespace Netmap.Adapters.Monitor;

/// <summary>
/// A monitor port ("parent/[z][r][t]#N", netmap_monitor_adapter): one TX ring whose txsync always fails and
/// max(parent TX, parent RX) RX rings; RX ring i receives what passes through the parent's TX ring i and/or RX ring
/// i. Each REGISTER of a monitor name makes a new one, so it has exactly one registration.
/// Its rings live in the monitored port's region (see docs/ARCHITECTURE.md, "Monitors"): the syncs that fill them
/// run wherever the parent's syncs run, and that code reaches no other region. Engine-side state, engine lock.
/// </summary>
internal sealed class MonitorAdapter : NetmapAdapter
{
    private readonly KickLine _kick;
    private readonly Action<MonitorAdapter> _onUnused;

    private MonitorAdapter(string name, NetmapAdapter parent, RegisterFlags flags, RingFactory.CreatedRing[] tx, RingFactory.CreatedRing[] rx,
        KickLine kick, BufferOwner buffers, Action<MonitorAdapter> onUnused) : base(name, parent.Region, tx, rx)
    {
        Buffers = buffers;
        Parent = parent;
        ZeroCopy = (flags & RegisterFlags.ZeroCopyMonitor) != 0;
        WatchTx = ZeroCopy || (flags & RegisterFlags.MonitorTx) != 0;
        WatchRx = ZeroCopy || (flags & RegisterFlags.MonitorRx) != 0;
        _kick = kick;
        _onUnused = onUnused;
    }

    /// <summary>The buffers of the monitor's rings.</summary>
    public BufferOwner Buffers { get; }
    /// <summary>The monitored port.</summary>
    public NetmapAdapter Parent { get; }
    /// <summary>/z: buffers are swapped in on release instead of copied on arrival.</summary>
    public bool ZeroCopy { get; }
    /// <summary>Sees the parent's TX rings (/t, /z).</summary>
    public bool WatchTx { get; }
    /// <summary>Sees the parent's RX rings (/r, /z).</summary>
    public bool WatchRx { get; }
    /// <summary>RX rings [BoundFirst, BoundLast) were bound by the registration; only those are fed.</summary>
    public int BoundFirst { get; private set; }
    public int BoundLast { get; private set; }
    /// <summary>Linked to the parent's rings (between registration and close, unless orphaned).</summary>
    public bool Active { get; private set; }
    /// <summary>The parent left netmap mode: links are gone and the monitor's syncs fail.</summary>
    public bool Orphaned { get; private set; }
    /// <summary>Its wakeups go through netmapd's <see cref="MonitorNotifier"/> (clients in other processes fill it).</summary>
    public bool Relayed { get; init; }

    public override KickLine Kick => _kick;
    public override KickLine? PeerKick => null;

    public bool Binds(int ring) => Active && ring >= BoundFirst && ring < BoundLast;

    public ref KringState RxState(int ring) => ref RingFactory.State(Region, RxRings[ring]);

    /// <summary>Allocates the rings (each slot with its own buffer) in the parent's region and takes a user
    /// reference on it; ENOMEM leaves nothing behind.</summary>
    public static MonitorAdapter Create(string name, NetmapAdapter parent, RegisterFlags flags, int rxRings, uint txSlots, uint rxSlots,
        bool relayed, Action<MonitorAdapter> onUnused)
    {
        var region = parent.Region;
        var created = new List<RingFactory.CreatedRing>();
        KickLine? kick = null;
        var buffers = region.Ledger.CreateOwner(name);
        try
        {
            var tx = new[] { RingFactory.CreateWithBuffers(region, buffers, txSlots, true, 0, KringKind.MonitorTx, name) };
            created.Add(tx[0]);
            var rx = new RingFactory.CreatedRing[rxRings];
            for (int i = 0; i < rxRings; i++) created.Add(rx[i] = RingFactory.CreateWithBuffers(region, buffers, rxSlots, false, (ushort)i, KringKind.MonitorRx, name));
            kick = KickLine.Create(name);
            region.Users++;
            return new MonitorAdapter(name, parent, flags, tx, rx, kick, buffers, onUnused) { Relayed = relayed };
        }
        catch
        {
            kick?.Dispose();
            RingFactory.DestroyAll(region, buffers, created);
            throw;
        }
    }

    public void Activate(int rxFirst, int rxLast)
    {
        BoundFirst = rxFirst;
        BoundLast = rxLast;
        Active = true;
    }

    public void Deactivate() => Active = false;

    /// <summary>The parent is gone: every ring says so to the monitor's syncs (netmap's np_na = NULL).</summary>
    public void Orphan()
    {
        Orphaned = true;
        Active = false;
        foreach (var r in TxRings) Volatile.Write(ref RingFactory.State(Region, r).MonitorOrphaned, 1);
        foreach (var r in RxRings) Volatile.Write(ref RingFactory.State(Region, r).MonitorOrphaned, 1);
    }

    /// <summary>Frees the rings and the monitor's buffers (zero-copy swaps moved some into the port's rings: those now
    /// belong to the port) and closes the kick line. The region reference is dropped by the caller.</summary>
    public void Destroy()
    {
        RingFactory.DestroyAll(Region, Buffers, TxRings.Concat(RxRings));
        _kick.Dispose();
    }

    public override void OnUnused() => _onUnused(this);
}
