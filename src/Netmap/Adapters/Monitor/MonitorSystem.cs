using System.Diagnostics;
using Netmap.Abi;
using Netmap.Adapters.Pipe;
using Netmap.Adapters.Vale;
using Netmap.Memory;
using Netmap.Rings;

namespace Netmap.Adapters.Monitor;

/// <summary>
/// Every monitor of one engine (netmap_monitor.c's control side), used under the engine lock: creates monitors of
/// ports in netmap mode, projects who-monitors-what into the link tables of the krings (<see cref="MonitorLinks"/>),
/// orphans monitors whose port leaves netmap mode, and removes a monitor only once no sync can still write into
/// its rings.
/// Removal protocol: (1) unlink (the tables stop naming the monitor's rings, a zero-copy chain is re-joined around
/// it), (2) forget its kick line in <see cref="MonitorKicks"/>, (3) wait until every sync that could have read the old
/// links is over: each involved ring's SyncLock seen free once, the port's netmapd forwarder past its current pass,
/// the port's switch lock taken once (VALE deliveries run under it), (4) free rings, buffers and kick line. A sync lock
/// that stays held (a stopped client) bounds the wait at <see cref="QuiesceTimeout"/>; the rings are then leaked
/// rather than freed under a writer.
/// </summary>
internal sealed class MonitorSystem : IDisposable
{
    public static readonly TimeSpan QuiesceTimeout = TimeSpan.FromSeconds(2);

    private readonly Dictionary<NetmapAdapter, MonitorParent> _parents = new();
    private readonly AllocatorRegistry _allocators;
    private readonly Action<string>? _log;
    private MonitorNotifier? _notifier;

    public MonitorSystem(AllocatorRegistry allocators, Action<string>? log)
    {
        _allocators = allocators;
        _log = log;
    }

    /// <summary>
    /// The monitor adapter for a REGISTER of <paramref name="port"/> with monitor <paramref name="flags"/> (a /z
    /// request already has both directions added). Slot counts default to the parent's (nm_bound_var: 0 takes the
    /// default, above 4096 is clamped; 1 becomes 2, the smallest ring we make). <paramref name="relayed"/>: the
    /// monitor's wakeups may have to come from other processes (netmapd).
    /// </summary>
    public MonitorAdapter Create(NetmapAdapter port, RegisterFlags flags, uint txSlots, uint rxSlots, bool relayed, AccessCaller caller)
    {
        const string op = "REGISTER";
        if (port is MonitorAdapter || port.Registrations == 0)
            throw NetmapException.Create(port.Name, op, Errno.EINVAL, $"{port.Name} is not in netmap mode (open it first)");
        bool zeroCopy = (flags & RegisterFlags.ZeroCopyMonitor) != 0;
        bool watchTx = zeroCopy || (flags & RegisterFlags.MonitorTx) != 0;
        bool watchRx = zeroCopy || (flags & RegisterFlags.MonitorRx) != 0;
        _parents.TryGetValue(port, out var parent);
        CheckCapacity(port, parent, zeroCopy, watchTx, watchRx);

        int rings = Math.Max(port.TxRings.Length, port.RxRings.Length);
        uint txd = BoundSlots(txSlots, port.TxSlots != 0 ? port.TxSlots : port.RxSlots);
        uint rxd = BoundSlots(rxSlots, port.RxSlots != 0 ? port.RxSlots : port.TxSlots);
        parent ??= new MonitorParent(port);
        string name = $"{port.Name}/{(zeroCopy ? "z" : "")}{(watchRx ? "r" : "")}{(watchTx ? "t" : "")}#{parent.NextId}";
        var charge = _allocators.Quota.Open(caller.Uid);
        MonitorAdapter m;
        try
        {
            charge.Add(ResourceKind.Ports, 1, name, op).Add(ResourceKind.Descriptors, 2, name, op);
            m = MonitorAdapter.Create(name, port, flags, rings, txd, rxd, relayed, OnMonitorUnused);
        }
        catch
        {
            charge.Dispose();
            throw;
        }
        m.Charge = charge;
        m.Access = caller.NewObject();
        parent.NextId++;
        _parents[port] = parent;
        return m;
    }

    private static uint BoundSlots(uint requested, uint parentSlots)
    {
        uint dflt = Math.Clamp(parentSlots == 0 ? NetmapConstants.BridgeRingSize : parentSlots, 2u, (uint)NetmapConstants.MonitorMaxSlots);
        if (requested == 0) return dflt;
        return Math.Clamp(requested, 2u, (uint)NetmapConstants.MonitorMaxSlots);
    }

    /// <summary>ENOMEM when a ring of <paramref name="port"/> would need more than <see cref="KringState.MaxMonitorLinks"/>
    /// links (checked as if the new monitor bound every ring).</summary>
    private static void CheckCapacity(NetmapAdapter port, MonitorParent? parent, bool zeroCopy, bool watchTx, bool watchRx)
    {
        var monitors = parent?.Monitors ?? [];
        for (int dir = 0; dir < 2; dir++)
        {
            bool tx = dir == 0;
            int rings = tx ? port.TxRings.Length : port.RxRings.Length;
            if (!(tx ? watchTx : watchRx)) continue;
            for (int i = 0; i < rings; i++)
            {
                int copies = monitors.Count(m => !m.ZeroCopy && m.Binds(i) && (tx ? m.WatchTx : m.WatchRx));
                bool chain = monitors.Any(m => m.ZeroCopy && m.Binds(i));
                int need = copies + (chain || zeroCopy ? 1 : 0) + (zeroCopy ? 0 : 1);
                if (need > KringState.MaxMonitorLinks)
                    throw NetmapException.Create(port.Name, "REGISTER", Errno.ENOMEM,
                        $"{(tx ? "tx" : "rx")} ring {i} of {port.Name} already has {copies} copy monitor(s){(chain ? " and a zero-copy chain" : "")}");
            }
        }
    }

    /// <summary>The monitor's registration bound RX rings [<paramref name="rxFirst"/>, <paramref name="rxLast"/>):
    /// link them to the parent's rings.</summary>
    public void Activate(MonitorAdapter m, int rxFirst, int rxLast)
    {
        var parent = _parents[m.Parent];
        m.Activate(rxFirst, rxLast);
        parent.Monitors.Add(m);
        var geometry = m.Region.Rings.Geometry;
        for (int i = rxFirst; i < rxLast; i++) MonitorKicks.Set(m.Region.Mapping, geometry.ObjTotal, m.RxRings[i].Index, m.Kick.SignalFd);
        Relink(parent);
        if (m.Relayed) (_notifier ??= new MonitorNotifier(_log)).Add(m);
    }

    /// <summary>
    /// <paramref name="port"/> leaves netmap mode (its last registration is going): its monitors are orphaned (their
    /// syncs fail from now on, sleepers are woken to see it), every link is cleared, and this returns once no sync can
    /// still feed them (netmap_monitor_stop).
    /// </summary>
    public void OnPortUnused(NetmapAdapter port)
    {
        if (!_parents.Remove(port, out var parent)) return;
        foreach (var r in port.TxRings) MonitorLinks.Clear(ref RingFactory.State(port.Region, r));
        foreach (var r in port.RxRings) MonitorLinks.Clear(ref RingFactory.State(port.Region, r));
        foreach (var m in parent.Monitors)
        {
            m.Orphan();
            for (int i = 0; i < m.RxRings.Length; i++) MonitorLinks.Clear(ref m.RxState(i));
        }
        if (!Quiesce(port, parent.Monitors))
            _log?.Invoke($"{port.Name}: a sync of a monitored ring did not finish within {QuiesceTimeout.TotalSeconds} s");
        foreach (var m in parent.Monitors) m.Kick.Signal();
    }

    /// <summary>Frees the monitor locks a dead registration (<paramref name="token"/>) may hold: its syncs fed the
    /// monitors of its port, of its pipe peer, or (a zero-copy monitor) of the rest of its chain.</summary>
    public void ReleaseLocks(NetmapAdapter a, uint token)
    {
        Release(a);
        if (a is PipeEnd pe) Release(pe.Peer);
        if (a is MonitorAdapter m) Release(m.Parent);

        void Release(NetmapAdapter port)
        {
            if (!_parents.TryGetValue(port, out var parent)) return;
            foreach (var m in parent.Monitors)
                for (int i = 0; i < m.RxRings.Length; i++) Interlocked.CompareExchange(ref m.RxState(i).MonitorLock, 0, token);
        }
    }

    /// <summary>The monitor's registration is gone: unlink, quiesce, free (see the class comment).</summary>
    private void OnMonitorUnused(MonitorAdapter m)
    {
        bool quiet = true;
        if (m.Active && _parents.TryGetValue(m.Parent, out var parent))
        {
            parent.Monitors.Remove(m);
            m.Deactivate();
            Relink(parent);
            ForgetKicks(m);
            quiet = Quiesce(m.Parent, [.. parent.Monitors, m]);
        }
        else ForgetKicks(m); // never linked, or orphaned (its links were cleared and quiesced then)
        _notifier?.Remove(m);
        if (!quiet)
        {
            // A sync that may still write into these rings kept its lock past the timeout: leak rather than free.
            _log?.Invoke($"{m.Name}: a sync of {m.Parent.Name} did not finish within {QuiesceTimeout.TotalSeconds} s; the monitor's rings are leaked");
            return;
        }
        m.Destroy();
        m.Charge?.Dispose();
        _allocators.Release(m.Region);
    }

    private static void ForgetKicks(MonitorAdapter m)
    {
        foreach (var r in m.RxRings) MonitorKicks.Clear(m.Region.Mapping, r.Index);
    }

    // ---------------------------------------------------------------- links

    /// <summary>Writes every link table of <paramref name="parent"/>'s rings and of its zero-copy monitors' rings from
    /// the engine-side lists.</summary>
    private static void Relink(MonitorParent parent)
    {
        var port = parent.Port;
        Span<uint> want = stackalloc uint[KringState.MaxMonitorLinks];
        for (int dir = 0; dir < 2; dir++)
        {
            bool tx = dir == 0;
            var rings = tx ? port.TxRings : port.RxRings;
            for (int i = 0; i < rings.Length; i++)
            {
                int k = 0;
                MonitorAdapter? head = null;
                foreach (var m in parent.Monitors)
                {
                    if (!m.Binds(i)) continue;
                    if (m.ZeroCopy) { head ??= m; continue; }
                    if ((tx ? m.WatchTx : m.WatchRx) && k < want.Length) want[k++] = MonitorLinks.Encode(MonitorLinkKind.Copy, m.RxRings[i].Index);
                }
                if (head is not null && k < want.Length) want[k++] = MonitorLinks.Encode(MonitorLinkKind.ZeroCopy, head.RxRings[i].Index);
                MonitorLinks.Apply(ref RingFactory.State(port.Region, rings[i]), want[..k]);
            }
        }
        // Zero-copy chains: each monitor ring i feeds the next zero-copy monitor that binds ring i.
        var zmons = parent.Monitors.Where(m => m.ZeroCopy).ToList();
        for (int z = 0; z < zmons.Count; z++)
        {
            var m = zmons[z];
            for (int i = 0; i < m.RxRings.Length; i++)
            {
                if (!m.Binds(i)) continue;
                var next = zmons.Skip(z + 1).FirstOrDefault(x => x.Binds(i));
                int k = 0;
                if (next is not null) want[k++] = MonitorLinks.Encode(MonitorLinkKind.ZeroCopy, next.RxRings[i].Index);
                MonitorLinks.Apply(ref m.RxState(i), want[..k]);
            }
        }
    }

    // ---------------------------------------------------------------- quiescence

    /// <summary>Returns once no sync that read a link table before the caller changed it can still be running: the
    /// locks of the port's rings (and its pipe peer's, whose txsync feeds the port's RX monitors) and of the monitor
    /// rings involved seen free once, the port's forwarder (netmapd) past its pass, its switch lock taken once.
    /// False when a lock stayed held for <see cref="QuiesceTimeout"/>.</summary>
    private static bool Quiesce(NetmapAdapter port, IEnumerable<MonitorAdapter> monitors)
    {
        Interlocked.MemoryBarrier(); // the link stores before the lock loads (pairs with the syncs' lock CAS)
        long deadline = Stopwatch.GetTimestamp() + (long)(QuiesceTimeout.TotalSeconds * Stopwatch.Frequency);
        bool ok = WaitRings(port, deadline);
        if (port is PipeEnd pe) ok &= WaitRings(pe.Peer, deadline);
        foreach (var m in monitors) ok &= WaitRings(m, deadline);
        if (port is ValePort vp)
        {
            vp.Worker?.Quiesce();
            var sw = vp.Switch;
            if (sw is not null) { sw.Lock.EnterWrite(); sw.Lock.ExitWrite(); }
        }
        return ok;
    }

    private static bool WaitRings(NetmapAdapter a, long deadline)
    {
        bool ok = true;
        foreach (var r in a.TxRings) ok &= WaitUnlocked(ref RingFactory.State(a.Region, r), deadline);
        foreach (var r in a.RxRings) ok &= WaitUnlocked(ref RingFactory.State(a.Region, r), deadline);
        return ok;
    }

    private static bool WaitUnlocked(ref KringState ks, long deadline)
    {
        var spin = new SpinWait();
        while (Volatile.Read(ref ks.SyncLock) != 0)
        {
            if (Stopwatch.GetTimestamp() > deadline) return false;
            spin.SpinOnce();
        }
        return true;
    }

    public void Dispose()
    {
        _notifier?.Dispose();
        _notifier = null;
    }
}
