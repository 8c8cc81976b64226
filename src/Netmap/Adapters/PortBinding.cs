using System.Diagnostics;
using Netmap.Abi;
using Netmap.Interop;
using Netmap.Rings;

namespace Netmap.Adapters;

/// <summary>
/// What a process builds from one REGISTER reply to run the registration's syncs itself: a <see cref="Kring"/> per
/// bound ring (validated against our region header), pipe peers and VALE kick lines connected, a
/// <see cref="RingBackend"/> per kernel queue of a Linux interface, and the rounds of netmap's poll() over them
/// (<see cref="SyncAndCheck"/>, <see cref="PrepareWait"/>: each caller sleeps on <see cref="WaitFds"/> its own way). One implementation
/// for every caller: <c>NetmapPort</c>, netmapd's session syncs (for clients that cannot run them, e.g. a C program's
/// fork child) and the C interposer's in-process library.
/// Descriptors are borrowed (the caller keeps them open for the binding's life); backends are disposed with it.
/// Threading: one thread per ring, as netmap's.
/// </summary>
internal sealed class PortBinding : IDisposable
{
    private readonly Kring[] _tx;
    private readonly Kring[] _rx;
    private readonly uint _token;
    private readonly bool _txPoll;
    private readonly long _spinTicks;
    private readonly RingBackend[] _backends;
    private readonly int _kickFd;
    /// <summary>Descriptors a waiter polls: the kick line, then the kernel queues of an interface.</summary>
    private readonly int[] _waitFds;
    private bool _disposed;

    /// <param name="mem">the mapped region (owned by the caller)</param>
    /// <param name="memSize">nr_memsize; our region header follows it</param>
    /// <param name="nifpOffset">nr_offset</param>
    /// <param name="kickFd">the wait end of the port's kick line</param>
    /// <param name="peerKickFd">the signal end of the peer's (pipes) or the forwarding worker's (VALE) kick line, -1 if none</param>
    /// <param name="backendFds">Linux interfaces: one kernel descriptor per queue</param>
    /// <param name="token">the registration's sync token</param>
    /// <param name="txPoll">false with NR_NO_TX_POLL: poll() without Out does not flush TX rings</param>
    /// <param name="localAdapter">the engine's adapter when its txsync must run engine code here (embedded VALE)</param>
    /// <param name="spin">how long a poll() spins before sleeping (null: 50 µs, none for interfaces)</param>
    /// <param name="owner">the port's name, for error messages</param>
    public PortBinding(MappedMemory mem, long memSize, long nifpOffset, int kickFd, int peerKickFd, int[] backendFds, uint token,
        bool txPoll, NetmapAdapter? localAdapter, TimeSpan? spin, string owner)
    {
        Memory = mem;
        _token = token;
        _txPoll = txPoll;
        _kickFd = kickFd;
        Layout = RegionLayout.Read(mem, memSize, owner);
        if (!mem.Contains(nifpOffset, NetmapIfHeader.Size))
            throw NetmapException.Create(owner, "mmap", Errno.EFAULT, $"nr_offset {nifpOffset} outside the region");
        var ni = mem.Ref<NetmapIfHeader>(nifpOffset); // a copy: counts are read once
        long nOfs = (long)ni.TxRings + ni.HostTxRings + ni.RxRings + ni.HostRxRings;
        if (nOfs > 4 * 1024 || !mem.Contains(nifpOffset, NetmapIfHeader.Size + 8 * nOfs))
            throw NetmapException.Create(owner, "mmap", Errno.EFAULT, "netmap_if ring table outside the region");
        NifpOffset = nifpOffset;
        RingOfsCount = (int)nOfs;
        // Hardware rings then host rings, as netmap_if lists them: a registration binds one contiguous run.
        _tx = BindRings(mem, Layout, nifpOffset, 0, (int)(ni.TxRings + ni.HostTxRings), owner, out int firstTx);
        _rx = BindRings(mem, Layout, nifpOffset, (int)(ni.TxRings + ni.HostTxRings), (int)(ni.RxRings + ni.HostRxRings), owner, out int firstRx);
        FirstTxRing = firstTx; FirstRxRing = firstRx;
        foreach (var k in _tx.Concat(_rx)) ConnectPeer(mem, k, peerKickFd, localAdapter, owner);
        _backends = OpenBackends(mem, backendFds, owner);
        _waitFds = new[] { kickFd }.Concat(_backends.Select(b => b.WaitFd)).ToArray();
        var s = spin ?? (_backends.Length > 0 ? TimeSpan.Zero : SharedMemorySpin);
        _spinTicks = (long)(s.TotalSeconds * Stopwatch.Frequency);
    }

    /// <summary>The default spin of shared-memory ports (a cross-core wakeup costs ~25 µs on a small VM).</summary>
    public static readonly TimeSpan SharedMemorySpin = TimeSpan.FromMicroseconds(50);

    public MappedMemory Memory { get; }
    public RegionLayout Layout { get; }
    public long NifpOffset { get; }
    /// <summary>Entries of the netmap_if's ring_ofs[].</summary>
    public int RingOfsCount { get; }
    public IReadOnlyList<Kring> Tx => _tx;
    public IReadOnlyList<Kring> Rx => _rx;
    /// <summary>Index (in the netmap_if) of the first bound TX / RX ring.</summary>
    public int FirstTxRing { get; }
    public int FirstRxRing { get; }
    /// <summary>The port's wakeup descriptor.</summary>
    public int KickFd => _kickFd;
    /// <summary>What a sleeper polls: the kick descriptor first, then the interface's kernel queues.</summary>
    public ReadOnlySpan<int> WaitFds => _waitFds;
    public bool HasBackends => _backends.Length > 0;
    /// <summary>How long a poll() spins re-checking before it arms and sleeps, in Stopwatch ticks.</summary>
    public long SpinTicks => _spinTicks;

    private static Kring[] BindRings(MappedMemory mem, in RegionLayout layout, long nifp, int ofsBase, int count, string owner, out int first)
    {
        var list = new List<Kring>();
        first = -1;
        for (int i = 0; i < count; i++)
        {
            long ofs = mem.Ref<long>(nifp + NetmapIfHeader.OffsetOfRingOfs + 8L * (ofsBase + i));
            if (ofs == 0) { if (first >= 0) break; continue; }
            if (first < 0) first = i;
            list.Add(Kring.Open(mem, layout, nifp + ofs, owner));
        }
        if (first < 0) first = 0;
        return list.ToArray();
    }

    /// <summary>Linux interfaces: one <see cref="RingBackend"/> per kernel queue bound here, over the queue's
    /// descriptor, set on the queue's TX and RX kring (the syncs then run in this process, as netmap's do).</summary>
    private RingBackend[] OpenBackends(MappedMemory mem, int[] fds, string owner)
    {
        var byQueue = new SortedDictionary<uint, (Kring? Tx, Kring? Rx)>();
        foreach (var k in _tx.Concat(_rx))
        {
            if (!Nic.NicQueueFactory.IsInterfaceKind(k.Kind)) continue;
            uint q = k.State.BackendQueue;
            if (q >= fds.Length)
                throw NetmapException.Create(owner, "mmap", Errno.EFAULT, $"ring {k.Index} names kernel queue {q}, but {fds.Length} were handed over");
            byQueue.TryGetValue(q, out var pair);
            byQueue[q] = k.Ring.IsTx ? (k, pair.Rx) : (pair.Tx, k);
        }
        var list = new List<RingBackend>();
        try
        {
            foreach (var (q, pair) in byQueue)
            {
                var kind = (pair.Tx ?? pair.Rx)!.Kind;
                var b = Nic.NicQueueFactory.Open(kind, fds[q], pair.Tx, pair.Rx, mem, Layout, owner);
                list.Add(b);
                if (pair.Tx is not null) pair.Tx.Backend = b;
                if (pair.Rx is not null) pair.Rx.Backend = b;
            }
        }
        catch
        {
            foreach (var b in list) b.Dispose();
            throw;
        }
        return list.ToArray();
    }

    private void ConnectPeer(MappedMemory mem, Kring k, int peerKickFd, NetmapAdapter? localAdapter, string owner)
    {
        ref var ks = ref k.State;
        if (k.Kind is KringKind.ValeTx or KringKind.ValeRx)
        {
            k.PeerKickFd = peerKickFd;
            if (k.Kind == KringKind.ValeTx && localAdapter is Vale.ValePort vp)
            {
                int i = Array.FindIndex(vp.TxRings, r => r.Index == k.Index);
                if (i >= 0) k.InCaller = new Vale.ValeInCallerSync(vp, i);
            }
            return;
        }
        if (k.Kind is not (KringKind.PipeTx or KringKind.PipeRx)) return;
        uint peer = ks.PeerRing;
        if (peer >= Layout.RingObjTotal)
            throw NetmapException.Create(owner, "mmap", Errno.EFAULT, $"ring {k.Index} names peer ring {peer}, outside the region");
        long peerState = Layout.KringTableOffset + (long)peer * KringState.Size;
        long peerRing = mem.Ref<KringState>(peerState).RingOffset;
        var p = Kring.Open(mem, Layout, peerRing, owner);
        if (p.NumSlots != k.NumSlots || p.Kind != (k.Kind == KringKind.PipeTx ? KringKind.PipeRx : KringKind.PipeTx))
            throw NetmapException.Create(owner, "mmap", Errno.EFAULT, $"ring {k.Index} and its peer {peer} do not match");
        k.Peer = p;
        k.PeerKickFd = peerKickFd;
    }

    // ---------------------------------------------------------------- data path

    /// <summary>NIOCTXSYNC on every bound TX ring. False when a ring had to be reinitialised.</summary>
    public bool TxSync()
    {
        bool ok = true;
        var tx = _tx;
        for (int i = 0; i < tx.Length; i++) ok &= RingSync.TxSync(tx[i], _token);
        return ok;
    }

    /// <summary>NIOCRXSYNC on every bound RX ring. False when a ring had to be reinitialised.</summary>
    public bool RxSync()
    {
        bool ok = true;
        var rx = _rx;
        for (int i = 0; i < rx.Length; i++) ok &= RingSync.RxSync(rx[i], _token);
        return ok;
    }

    /// <summary>The syncs and readiness test of one poll() round, without waiting.</summary>
    public PortEvents SyncAndCheck(PortEvents events)
    {
        var ready = PortEvents.None;
        if ((events & PortEvents.Out) != 0 || _txPoll)
        {
            foreach (var k in _tx)
            {
                if ((events & PortEvents.Out) == 0 && k.State.HwCur == k.Ring.Head) continue; // only flushing: skip idle rings
                if (!RingSync.TxSync(k, _token)) ready |= PortEvents.Error;
                if ((events & PortEvents.Out) != 0 && k.Ring.Cur != k.Ring.Tail) ready |= PortEvents.Out;
            }
        }
        if ((events & PortEvents.In) != 0)
        {
            foreach (var k in _rx)
            {
                if (!RingSync.RxSync(k, _token)) ready |= PortEvents.Error;
                if (k.Ring.Cur != k.Ring.Tail) ready |= PortEvents.In;
            }
        }
        return ready;
    }

    /// <summary>Arms (or disarms) the wakeup of the rings <paramref name="events"/> waits for; arming ends with a
    /// full fence that pairs with the waker's fence between publishing and reading NeedKick.</summary>
    public void Arm(PortEvents events, bool on)
    {
        uint v = on ? 1u : 0u;
        if ((events & PortEvents.In) != 0) foreach (var k in _rx) Volatile.Write(ref k.State.NeedKick, v);
        if ((events & PortEvents.Out) != 0) foreach (var k in _tx) Volatile.Write(ref k.State.NeedKick, v);
        if (on) Interlocked.MemoryBarrier();
    }

    /// <summary>Arms the wakeup, then re-checks: the events already ready (and then disarmed), or None (armed: sleep
    /// on <see cref="WaitFds"/>).</summary>
    public PortEvents PrepareWait(PortEvents events)
    {
        Arm(events, true);
        var ready = SyncAndCheck(events);
        if (ready != PortEvents.None) Arm(events, false);
        return ready;
    }

    /// <summary>Resets the kick descriptor after it was found readable.</summary>
    public void DrainKick() => KickLine.Drain(_kickFd);

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        foreach (var b in _backends) b.Dispose();
    }
}
