using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using Netmap.Abi;
using Netmap.Adapters;
using Netmap.Hosting;
using Netmap.Interop;
using Netmap.Rings;
using Netmap.Api;

namespace Netmap;

/// <summary>
/// An open netmap port: libnetmap's nmport_d plus the NIOCTXSYNC / NIOCRXSYNC / poll() of the original.
/// <code>
/// using var port = NetmapPort.Open("netmap:p{1");
/// var ring = port.TxRings[0];
/// ... fill slots [ring.Head, ring.Tail), advance ring.Head = ring.Cur ...
/// port.TxSync();
/// </code>
/// Threading: one thread per ring; TxSync/RxSync/Poll of one port from one thread at a time.
/// The data path (syncs, Inject, NextPacket, Dispatch) allocates nothing and throws nothing for valid use.
/// <para>Lifetime: <see cref="Dispose"/> may be called from any thread, at any time. It ends a sleeping
/// <see cref="Poll"/>, <see cref="WaitForPeer"/> or pending <see cref="WaitAsync"/> with
/// <see cref="ObjectDisposedException"/>, waits for the calls in progress on other threads, and only then unmaps and
/// closes; every later use of a member (except <see cref="Spec"/> and Dispose) throws ObjectDisposedException. Rings,
/// slots and spans obtained before Dispose must not be used after it: their contents are undefined (another port may
/// get those rings), but touching them never faults (the region's address range stays mapped to placeholder memory
/// until the ring objects are collected).</para>
/// </summary>
public sealed class NetmapPort : IDisposable
{
    private readonly IControlChannel _channel;
    private readonly ChannelRegistration _registration;
    private readonly PortBinding _binding;
    private readonly Kring[] _tx;
    private readonly Kring[] _rx;
    /// <summary>Descriptors a waiter polls (the kick line, the daemon connection while it is there, then the kernel
    /// queues of an interface) and their events.</summary>
    private int[] _waitFds = [];
    private short[] _waitIn = [], _waitOut = [], _waitBoth = [];
    /// <summary>Index of the daemon connection in <see cref="_waitFds"/>, or -1 (embedded engine, or the daemon is gone).</summary>
    private int _hangupSlot;
    /// <summary>True when every ring is a pipe's or a null port's: their syncs and wakeups are the clients' own, so
    /// the port keeps working, Poll included, after netmapd is gone. VALE ports (forwarded by netmapd), monitors
    /// (woken by it) and Linux interfaces (whose XDP program and sockets' binding it holds) do not.</summary>
    private readonly bool _outlivesDaemon;
    private string? _failure;
    private Interop.EpollSet? _epoll;
    private int _curTx, _curRx;
    /// <summary>Counts the calls using the mapping and descriptors; closed by Dispose (see <see cref="CallGate"/>).</summary>
    private CallGate _gate;
    /// <summary>The thread inside <see cref="Dispatch{THandler}(int, ref THandler)"/> (0: none): Dispose from its
    /// handler would wait for itself.</summary>
    private int _dispatchThread;
    /// <summary>Wake events of the threads sleeping in Poll/WaitForPeer on this port (Dispose signals them). Lock: itself.</summary>
    private readonly List<WakeEvent> _sleepers = new(2);
    /// <summary>The pending half of WaitAsync, made on the first wait that has to sleep.</summary>
    private PortWaiter? _waiter;
    /// <summary>The kring whose record carries the peer state (pipes: PeerState; monitors: MonitorOrphaned), or null.</summary>
    private readonly Kring? _peerKring;
    private readonly bool _isMonitor;
    private long _invalidSlots;

    private NetmapPort(PortSpec spec, IControlChannel channel, ChannelRegistration reg, in NmReqRegister r, NetmapPortOptions options)
    {
        Spec = spec;
        _channel = channel;
        _registration = reg;
        MemId = r.MemId;
        MemSize = (long)r.MemSize;
        ExtraBuffers = r.ExtraBufs;
        TxSlots = r.TxSlots; RxSlots = r.RxSlots;
        // Poll sleeps on the kick line, the daemon connection, every kernel queue and its wake event at once.
        if (reg.BackendFds.Length + 3 > FdPoll.MaxDescriptors)
            throw NetmapException.Create(spec.Spec, "poll", Errno.EINVAL, $"{reg.BackendFds.Length} kernel queues: at most {FdPoll.MaxDescriptors - 3} can be waited for");
        _binding = new PortBinding(reg.Memory, MemSize, (long)r.Offset, reg.KickFd, reg.PeerKickFd, reg.BackendFds, reg.Token,
            (spec.Flags & RegisterFlags.NoTxPoll) == 0, reg.LocalAdapter, options.Spin, spec.Spec);
        _interface = new NetmapInterface(reg.Memory, _binding.NifpOffset, _binding.RingOfsCount);
        _tx = _binding.Tx.ToArray();
        _rx = _binding.Rx.ToArray();
        FirstTxRing = _binding.FirstTxRing; FirstRxRing = _binding.FirstRxRing;
        _outlivesDaemon = _tx.Concat(_rx).All(k => k.Kind is KringKind.PipeTx or KringKind.PipeRx or KringKind.Null);
        // The daemon's connection sleeps with the rest: its hangup (netmapd died) ends the wait.
        BuildWaitSet(channel.HangupFd);
        _txRings = _tx.Select(k => k.Ring).ToArray();
        _rxRings = _rx.Select(k => k.Ring).ToArray();
        // The opening thread usually polls the port: give it its wake event now, so that its first sleep allocates nothing.
        WakeEvent.ForCurrentThread();
        var first = _tx.Length > 0 ? _tx[0] : _rx.Length > 0 ? _rx[0] : null;
        if (first?.Kind is KringKind.PipeTx or KringKind.PipeRx) _peerKring = first;
        else if (first?.Kind is KringKind.MonitorTx or KringKind.MonitorRx) { _peerKring = first; _isMonitor = true; }
    }

    private readonly NetmapRing[] _txRings, _rxRings;
    private readonly NetmapInterface _interface;

    /// <summary>The parsed port name (still readable after Dispose, for messages).</summary>
    public PortSpec Spec { get; }
    /// <summary>The port's netmap_if.</summary>
    public NetmapInterface Interface { get { ThrowIfDisposed(); return _interface; } }
    /// <summary>Bound TX rings, from <see cref="FirstTxRing"/> on (host rings follow the hardware ones: index
    /// <c>Interface.TxRings</c> is the first host ring). Valid until Dispose.</summary>
    public IReadOnlyList<NetmapRing> TxRings { get { ThrowIfDisposed(); return _txRings; } }
    /// <summary>Bound RX rings, from <see cref="FirstRxRing"/> on. Valid until Dispose.</summary>
    public IReadOnlyList<NetmapRing> RxRings { get { ThrowIfDisposed(); return _rxRings; } }
    /// <summary>Index (in the netmap_if) of the first bound TX ring.</summary>
    public int FirstTxRing { get { ThrowIfDisposed(); return _firstTx; } private init => _firstTx = value; }
    /// <summary>Index (in the netmap_if) of the first bound RX ring.</summary>
    public int FirstRxRing { get { ThrowIfDisposed(); return _firstRx; } private init => _firstRx = value; }
    /// <summary>nr_tx_slots: slots per TX ring.</summary>
    public uint TxSlots { get { ThrowIfDisposed(); return _txSlots; } private init => _txSlots = value; }
    /// <summary>nr_rx_slots: slots per RX ring.</summary>
    public uint RxSlots { get { ThrowIfDisposed(); return _rxSlots; } private init => _rxSlots = value; }
    /// <summary>nr_mem_id of the port's region.</summary>
    public ushort MemId { get { ThrowIfDisposed(); return _memId; } private init => _memId = value; }
    /// <summary>nr_memsize.</summary>
    public long MemSize { get { ThrowIfDisposed(); return _memSize; } private init => _memSize = value; }
    /// <summary>Extra buffers obtained (chained from <see cref="NetmapInterface.BufsHead"/>).</summary>
    public uint ExtraBuffers { get { ThrowIfDisposed(); return _extraBuffers; } private init => _extraBuffers = value; }
    private readonly int _firstTx, _firstRx;
    private readonly uint _txSlots, _rxSlots, _extraBuffers;
    private readonly ushort _memId;
    private readonly long _memSize;
    /// <summary>Slots that <see cref="Inject"/>, <see cref="NextPacket"/> and <see cref="Dispatch{THandler}"/>
    /// found holding an invalid buffer index (a peer or another process of the region wrote it): Inject skips such a
    /// slot (it goes out empty), the receive paths hand it over as an empty frame. Counted, never thrown.</summary>
    public long InvalidSlots { get { ThrowIfDisposed(); return Volatile.Read(ref _invalidSlots); } }
    internal RegionLayout Layout => _binding.Layout;
    internal IReadOnlyList<Kring> TxKrings => _tx;
    internal IReadOnlyList<Kring> RxKrings => _rx;

    /// <summary>The descriptor that becomes readable when the port may have become ready: the port's kick line, or for a
    /// Linux interface an epoll descriptor covering the kick line and the kernel queues (readable when frames arrive;
    /// TX room on an interface comes back within TxSync, so wait for Out with <see cref="Poll"/>). For your own
    /// epoll/select loop: call <see cref="PrepareWait"/> before sleeping on it, and <see cref="Poll"/> with timeout 0 after.
    /// Owned by the port: remove it from your loop before <see cref="Dispose"/>, which closes it.</summary>
    public int FileDescriptor
    {
        get
        {
            Enter();
            try
            {
                if (!_binding.HasBackends) return _registration.KickFd;
                return (_epoll ??= Interop.EpollSet.Create(_binding.WaitFds, Spec.Spec)).Fd;
            }
            finally { _gate.Exit(); }
        }
    }

    /// <summary>
    /// Why the port lost its engine, or null while it has one: "netmapd at PATH closed the connection" once netmapd
    /// died (or shut down). The rings stay mapped, so TxSync/RxSync keep working on the memory (a pipe's peer may
    /// still be there), but nothing the daemon did (VALE forwarding, monitor wakeups, an interface's netmap mode)
    /// happens any more; <see cref="Poll"/> reports <see cref="PollEvents.Error"/>. Always null on an embedded engine.
    /// </summary>
    public string? Failure
    {
        get
        {
            Enter();
            try { return _failure ??= _channel.Failure; }
            finally { _gate.Exit(); }
        }
    }

    /// <summary>
    /// What this port knows of the other side: for a pipe end, whether the other end is open (<see cref="PeerState.Waiting"/>
    /// until it first is, then <see cref="PeerState.Attached"/>, <see cref="PeerState.Closed"/> or
    /// <see cref="PeerState.Died"/>); for a monitor, whether its port is still in netmap mode (Attached, then Closed for
    /// good); <see cref="PeerState.None"/> for VALE ports (a port learns nothing about the other ports of its switch),
    /// Linux interfaces and null ports. The engine publishes it in the shared kring record and wakes sleepers, so
    /// reading it costs one load (no system call), on both hosts.
    /// </summary>
    public PeerState Peer
    {
        get
        {
            ThrowIfDisposed();
            return ReadPeer(out _, out _);
        }
    }

    /// <summary>Why the peer is gone, or null while it is there (or the port has none): "netmap:p}1 was closed",
    /// "netmap:p}1 was left open by process 1234, which ended", "vale0:a left netmap mode".</summary>
    public string? PeerFailure
    {
        get
        {
            ThrowIfDisposed();
            var state = ReadPeer(out _, out uint pid);
            if (state is not (PeerState.Closed or PeerState.Died)) return null;
            if (_isMonitor) return $"{MonitoredName()} left netmap mode";
            string peer = PeerName();
            return state == PeerState.Closed
                ? $"{peer} was closed"
                : pid != 0 ? $"{peer} was left open by process {pid}, which ended" : $"{peer} was left open by a process that ended";
        }
    }

    /// <summary>How many times a peer end has attached to this pipe end (wraps at 2^24): it changes when a new peer
    /// comes, so a reader can tell that the sender it talks to is another one. 0 for ports without a peer.</summary>
    public uint PeerArrivals
    {
        get
        {
            ThrowIfDisposed();
            ReadPeer(out uint arrivals, out _);
            return arrivals;
        }
    }

    /// <summary>The peer state word of the shared kring record, read once and validated (a client of the region could
    /// have written anything there: an unknown state reads as attached).</summary>
    private PeerState ReadPeer(out uint arrivals, out uint pid)
    {
        arrivals = 0; pid = 0;
        var k = _peerKring;
        if (k is null) return PeerState.None;
        ref var ks = ref k.State;
        if (_isMonitor) return Volatile.Read(ref ks.MonitorOrphaned) != 0 ? PeerState.Closed : PeerState.Attached;
        uint word = Volatile.Read(ref ks.PeerState);
        pid = Volatile.Read(ref ks.PeerPid);
        arrivals = word >> 8;
        return (word & 0xFF) switch
        {
            KringState.PeerWaiting => PeerState.Waiting,
            KringState.PeerClosed => PeerState.Closed,
            KringState.PeerDied => PeerState.Died,
            _ => PeerState.Attached,
        };
    }

    /// <summary>HangUp while the peer is gone: one load of a line the syncs read anyway.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private PollEvents PeerEvents()
    {
        var k = _peerKring;
        if (k is null) return PollEvents.None;
        if (_isMonitor) return Volatile.Read(ref k.State.MonitorOrphaned) != 0 ? PollEvents.HangUp : PollEvents.None;
        uint state = Volatile.Read(ref k.State.PeerState) & 0xFF;
        return state is KringState.PeerClosed or KringState.PeerDied ? PollEvents.HangUp : PollEvents.None;
    }

    /// <summary>The other end's name: "netmap:p{1" for "netmap:p}1".</summary>
    private string PeerName()
    {
        string s = Spec.Spec;
        int brace = s.LastIndexOfAny(['{', '}']);
        if (brace < 0) return s;
        int end = brace + 1;
        while (end < s.Length && s[end] is not ('-' or '/' or '@' or '^' or '*')) end++;
        return s[..brace] + (s[brace] == '{' ? '}' : '{') + s[(brace + 1)..end];
    }

    /// <summary>A monitor's port: "vale0:a" for "vale0:a/t".</summary>
    private string MonitoredName() => Spec.Name;

    /// <summary>Opens <paramref name="spec"/> (netmap's port-name grammar) in netmapd, starting it if needed.</summary>
    public static NetmapPort Open(string spec, NetmapPortOptions? options = null) => Open(spec, NetmapHost.Default, options);

    /// <summary>Opens <paramref name="spec"/> on <paramref name="host"/>. Fails with a <see cref="NetmapException"/>
    /// naming the port and the cause; nothing is left open then.</summary>
    public static NetmapPort Open(string spec, NetmapHost host, NetmapPortOptions? options = null)
    {
        options ??= new NetmapPortOptions();
        var ps = PortSpecParser.Parse(spec);
        ushort memId = ps.MemId;
        if (ps.ShareWith is not null)
        {
            ushort shared = PortInfo(ps.ShareWith, host).MemId;
            if (memId != 0 && memId != shared)
                throw NetmapException.Create(spec, "parse", Errno.EINVAL, $"@share={ps.ShareWith} is mem_id {shared} but @{memId} was given");
            memId = shared;
        }
        var req = new ControlRequest(RequestType.Register, ps.Name, NmReqRegister.Size);
        ref var r = ref req.Body<NmReqRegister>();
        r.Mode = ps.Mode;
        r.RingId = ps.RingId;
        r.Flags = ps.Flags;
        r.MemId = memId;
        r.TxRings = (ushort)(ps.TxRings ?? 0); r.RxRings = (ushort)(ps.RxRings ?? 0);
        r.HostTxRings = (ushort)(ps.HostTxRings ?? 0); r.HostRxRings = (ushort)(ps.HostRxRings ?? 0);
        r.TxSlots = ps.TxSlots ?? 0; r.RxSlots = ps.RxSlots ?? 0;
        r.ExtraBufs = options.ExtraBuffers;
        if (ps.ExtMem is not null) req.AddOption(new NmReqOptExtMem { Option = new NmReqOption { Type = OptionType.ExtMem } });
        if (ps.Conf.Backend is { } backend)
            req.AddOption(new NmReqOptInterfaceBackend { Option = new NmReqOption { Type = OptionType.InterfaceBackend }, Backend = (uint)backend });
        if (ps.Conf.Mode is { } mode)
            req.AddOption(new NmReqOptAccess { Option = new NmReqOption { Type = OptionType.Access }, Mode = mode });
        if (ps.Offset is not null)
            req.AddOption(new NmReqOptOffsets { Option = new NmReqOption { Type = OptionType.Offsets }, InitialOffset = ps.Offset.Initial, OffsetBits = ps.Offset.Bits ?? 0 });

        var channel = host.OpenChannel();
        ChannelRegistration? reg = null;
        try
        {
            var err = channel.Control(req.Message, out reg, out string? detail);
            if (err != Errno.None)
                throw new NetmapException(err, $"{spec}: NIOCCTRL REGISTER: {err}" + Detail(detail, spec));
            if (reg is null)
                throw NetmapException.Create(spec, "NIOCCTRL REGISTER", Errno.EPROTO, $"{channel.Description} sent no region");
            return new NetmapPort(ps, channel, reg, req.Body<NmReqRegister>(), options);
        }
        catch
        {
            reg?.Dispose();
            channel.Dispose();
            throw;
        }
    }

    /// <summary>NETMAP_REQ_PORT_INFO_GET for <paramref name="spec"/> (empty name part = allocator info).</summary>
    public static NmReqPortInfoGet PortInfo(string spec, NetmapHost? host = null)
    {
        var ps = PortSpecParser.Parse(spec);
        var req = new ControlRequest(RequestType.PortInfoGet, ps.Name, NmReqPortInfoGet.Size);
        req.Body<NmReqPortInfoGet>().MemId = ps.MemId;
        using var channel = (host ?? NetmapHost.Default).OpenChannel();
        var err = channel.Control(req.Message, out var reg, out string? detail);
        reg?.Dispose();
        if (err != Errno.None) throw new NetmapException(err, $"{spec}: NIOCCTRL PORT_INFO_GET: {err}" + Detail(detail, spec));
        return req.Body<NmReqPortInfoGet>();
    }

    private static string Detail(string? detail, string spec)
    {
        if (string.IsNullOrEmpty(detail)) return "";
        // The engine's detail is "name: op: ERRNO, cause"; keep the cause.
        int comma = detail.IndexOf(", ", StringComparison.Ordinal);
        return ", " + (comma >= 0 ? detail[(comma + 2)..] : detail);
    }

    // ---------------------------------------------------------------- data path

    /// <summary>NIOCTXSYNC: hands [hwcur, head) of every bound TX ring to the port and refreshes tail.
    /// False when a ring had to be reinitialised (its head/cur or slots were invalid; that ring's sync was skipped).</summary>
    public bool TxSync()
    {
        Enter();
        try { return _binding.TxSync(); }
        finally { _gate.Exit(); }
    }

    /// <summary>NIOCRXSYNC: releases [hwcur, head) of every bound RX ring and exposes new slots up to tail.
    /// False when a ring had to be reinitialised (new slots are still fetched).</summary>
    public bool RxSync()
    {
        Enter();
        try { return _binding.RxSync(); }
        finally { _gate.Exit(); }
    }

    /// <summary>
    /// netmap's poll(): syncs the rings (TX rings too unless NR_NO_TX_POLL, or only when <see cref="PollEvents.Out"/>
    /// is asked), reports In when an RX ring has cur != tail, Out when a TX ring has cur != tail, Error after a
    /// reinit, HangUp while the other end of a pipe is gone (<see cref="Peer"/>). Blocks up to
    /// <paramref name="timeoutMs"/> (-1 = forever): spins first, then sleeps on the kick line (and the daemon
    /// connection) with "need kick" armed so the peer wakes it. Returns None on timeout. When the port's netmapd goes
    /// away (<see cref="Failure"/> says why), the Poll that sees it returns Error; from then on a port that needs the
    /// daemon (VALE, monitor, Linux interface) returns Error at once instead of sleeping, while a pipe (whose data and
    /// wakeups go from client to client) polls as before. A Dispose on another thread ends the sleep with
    /// <see cref="ObjectDisposedException"/>.
    /// </summary>
    public PollEvents Poll(PollEvents events, int timeoutMs)
    {
        Enter();
        try { return PollCore(events, timeoutMs); }
        finally { _gate.Exit(); }
    }

    private PollEvents PollCore(PollEvents events, int timeoutMs)
    {
        long start = Stopwatch.GetTimestamp();
        long deadline = timeoutMs < 0 ? long.MaxValue : start + timeoutMs * Stopwatch.Frequency / 1000;
        var ready = Check(events);
        if (_failure is not null && !_outlivesDaemon) return ready | PollEvents.Error;
        if (ready != PollEvents.None || timeoutMs == 0) return ready;
        long spinEnd = Math.Min(deadline, start + _binding.SpinTicks);
        while (Stopwatch.GetTimestamp() < spinEnd)
        {
            Thread.Yield(); // on a shared core (2-vCPU machines) let the peer run instead of burning its slice
            ready = Check(events);
            if (ready != PollEvents.None) return ready;
        }
        var wake = AddSleeper();
        try
        {
            Span<int> fds = stackalloc int[FdPoll.MaxDescriptors];
            Span<short> want = stackalloc short[FdPoll.MaxDescriptors];
            Span<short> revents = stackalloc short[FdPoll.MaxDescriptors];
            while (true)
            {
                Arm(events, true);
                ready = Check(events);
                if (ready != PollEvents.None) { Arm(events, false); return ready; }
                long now = Stopwatch.GetTimestamp();
                if (now >= deadline) { Arm(events, false); return PollEvents.None; }
                int waitMs = deadline == long.MaxValue ? -1 : (int)Math.Max(1, Math.Min(int.MaxValue, (deadline - now) * 1000 / Stopwatch.Frequency));
                if (_waitFds.Length == 1)
                {
                    int fired = FdPoll.WaitReadable(_registration.KickFd, wake.Fd, waitMs);
                    if ((fired & 1) != 0) DrainKick();
                    if ((fired & 2) != 0) Woken(wake, events);
                    continue;
                }
                // The kernel queues of a Linux interface and the daemon connection wake us too; the kick line (first) is
                // drained only when it fired, so a kernel wakeup costs no extra read(2). Our wake event goes last.
                int n = _waitFds.Length;
                _waitFds.CopyTo(fds);
                fds[n] = wake.Fd;
                ((events & (PollEvents.In | PollEvents.Out)) switch
                {
                    PollEvents.Out => _waitOut,
                    PollEvents.In => _waitIn,
                    _ => _waitBoth,
                }).CopyTo(want);
                want[n] = Libc.POLLIN;
                FdPoll.Wait(fds[..(n + 1)], want[..(n + 1)], revents, waitMs);
                if (revents[0] != 0) DrainKick();
                if (revents[n] != 0) Woken(wake, events);
                if (_hangupSlot >= 0 && (revents[_hangupSlot] & FdPoll.HangupEvents) != 0 && DaemonGone())
                {
                    Arm(events, false);
                    return Check(events) | PollEvents.Error;
                }
            }
        }
        finally
        {
            RemoveSleeper(wake);
        }
    }

    /// <summary>Registers the calling thread's wake event for Dispose to signal; throws if Dispose already began (its
    /// signals went out before we were listed).</summary>
    private WakeEvent AddSleeper()
    {
        var wake = WakeEvent.ForCurrentThread();
        lock (_sleepers)
        {
            if (_gate.IsClosing) ThrowDisposed();
            _sleepers.Add(wake);
        }
        return wake;
    }

    private void RemoveSleeper(WakeEvent wake)
    {
        lock (_sleepers) _sleepers.Remove(wake);
    }

    /// <summary>Our wake event fired: Dispose (then leave), or a late signal of another port's Dispose (ignore).</summary>
    private void Woken(WakeEvent wake, PollEvents armed)
    {
        wake.Drain();
        if (!_gate.IsClosing) return;
        Arm(armed, false);
        ThrowDisposed();
    }

    /// <summary>Out of line: records why, once the connection reported a hangup; a port that outlives the daemon stops
    /// watching the connection (it would stay readable and turn every sleep into a spin).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private bool DaemonGone()
    {
        _failure ??= _channel.Failure;
        if (_failure is null) return false;
        if (_outlivesDaemon) BuildWaitSet(-1);
        return true;
    }

    /// <summary>The descriptors Poll sleeps on: the kick line, <paramref name="hangupFd"/> (when &gt;= 0), the kernel queues.</summary>
    private void BuildWaitSet(int hangupFd)
    {
        _hangupSlot = hangupFd >= 0 ? 1 : -1;
        var wake = _binding.WaitFds.ToArray();
        _waitFds = hangupFd >= 0 ? [wake[0], hangupFd, .. wake[1..]] : wake;
        short Events(int i, short queue) => i == 0 ? Libc.POLLIN : i == _hangupSlot ? Libc.POLLRDHUP : queue;
        _waitIn = _waitFds.Select((_, i) => Events(i, Libc.POLLIN)).ToArray();
        _waitOut = _waitFds.Select((_, i) => Events(i, Libc.POLLOUT)).ToArray();
        _waitBoth = _waitFds.Select((_, i) => Events(i, (short)(Libc.POLLIN | Libc.POLLOUT))).ToArray();
    }

    /// <summary>Arms the wakeup for <paramref name="events"/> before sleeping on <see cref="FileDescriptor"/> in your
    /// own event loop. Returns the events already ready (then do not sleep). A HangUp alone leaves the wakeup armed:
    /// a loop that waits for other ports too may sleep anyway; the engine kicks the descriptor when a new peer comes.</summary>
    public PollEvents PrepareWait(PollEvents events)
    {
        Enter();
        try
        {
            Arm(events, true);
            var ready = Check(events);
            if ((ready & ~PollEvents.HangUp) != PollEvents.None) Arm(events, false);
            return ready;
        }
        finally { _gate.Exit(); }
    }

    /// <summary>Resets the kick line after it was found readable (for your own loop; <see cref="Poll"/> does it itself).</summary>
    public void AcknowledgeWakeup()
    {
        Enter();
        try { DrainKick(); }
        finally { _gate.Exit(); }
    }

    /// <summary>
    /// Waits asynchronously for <paramref name="events"/>, with Poll's result. A token already cancelled is honoured
    /// first (before the rings are looked at); then, when something is ready (HangUp included), it completes
    /// synchronously and allocates nothing. Otherwise it follows netmap's protocol (NeedKick armed, full fence,
    /// re-check) and sleeps on the process's wait loop: one thread shared by every port, no thread per wait, no time
    /// slices; the wait object is the port's own and is reused, so waiting allocates nothing in steady state. The
    /// continuation runs on the thread pool. Cancellation completes it promptly (OperationCanceledException);
    /// <see cref="Dispose"/> completes it with ObjectDisposedException. One WaitAsync per port at a time
    /// (InvalidOperationException otherwise); await each result once. Unlike Poll it does not spin first.
    /// </summary>
    public ValueTask<PollEvents> WaitAsync(PollEvents events, CancellationToken cancellationToken = default)
    {
        if (cancellationToken.IsCancellationRequested) return ValueTask.FromCanceled<PollEvents>(cancellationToken);
        Enter();
        try
        {
            var ready = Check(events);
            if (_failure is not null && !_outlivesDaemon) return new ValueTask<PollEvents>(ready | PollEvents.Error);
            if (ready != PollEvents.None) return new ValueTask<PollEvents>(ready);
            Arm(events, true);
            ready = Check(events);
            if (ready != PollEvents.None)
            {
                Arm(events, false);
                return new ValueTask<PollEvents>(ready);
            }
            var waiter = Waiter();
            return new ValueTask<PollEvents>(waiter, waiter.Begin(events, peerMode: false, cancellationToken));
        }
        finally { _gate.Exit(); }
    }

    /// <summary>
    /// Waits until the other end of this pipe is open (<see cref="Peer"/> is <see cref="PeerState.Attached"/>): true
    /// at once when it is, false after <paramref name="timeoutMs"/> (-1 = forever). What to do after a HangUp instead
    /// of polling in a loop. A monitor's port never comes back once it left netmap mode (a re-opened port is a new
    /// one): for an orphaned monitor it returns false after the timeout. Throws InvalidOperationException for ports
    /// without a peer (<see cref="PeerState.None"/>), and NetmapException (EPIPE) once netmapd is gone (nobody can
    /// attach any more). A Dispose on another thread ends it with ObjectDisposedException.
    /// </summary>
    public bool WaitForPeer(int timeoutMs)
    {
        Enter();
        try
        {
            RequirePipe();
            if (ReadPeer(out _, out _) == PeerState.Attached) return true;
            if (timeoutMs == 0) return false;
            try
            {
                return SleepForPeer(timeoutMs);
            }
            finally
            {
                Arm(PeerWakeup, false);
            }
        }
        finally { _gate.Exit(); }
    }

    /// <summary>What a peer-state sleeper arms: NeedKick on every ring, which the engine checks after publishing.</summary>
    private const PollEvents PeerWakeup = PollEvents.In | PollEvents.Out;

    private bool SleepForPeer(int timeoutMs)
    {
        long deadline = timeoutMs < 0 ? long.MaxValue : Stopwatch.GetTimestamp() + timeoutMs * Stopwatch.Frequency / 1000;
        var wake = AddSleeper();
        try
        {
            // The kick line, our wake event, the daemon connection (once netmapd is gone nobody can attach).
            Span<int> fds = stackalloc int[3];
            Span<short> want = stackalloc short[3];
            Span<short> revents = stackalloc short[3];
            while (true)
            {
                Arm(PeerWakeup, true); // the engine publishes, fences, then kicks only if a NeedKick is armed
                if (ReadPeer(out _, out _) == PeerState.Attached) return true;
                if (_failure is not null) throw PeerWaitImpossible();
                long now = Stopwatch.GetTimestamp();
                if (now >= deadline) return false;
                int waitMs = deadline == long.MaxValue ? -1 : (int)Math.Max(1, Math.Min(int.MaxValue, (deadline - now) * 1000 / Stopwatch.Frequency));
                int n = 0;
                fds[n] = _registration.KickFd; want[n++] = Libc.POLLIN;
                fds[n] = wake.Fd; want[n++] = Libc.POLLIN;
                if (_hangupSlot >= 0) { fds[n] = _waitFds[_hangupSlot]; want[n++] = Libc.POLLRDHUP; }
                FdPoll.Wait(fds[..n], want[..n], revents, waitMs);
                if (revents[0] != 0) DrainKick();
                if (revents[1] != 0) Woken(wake, PeerWakeup);
                if (n == 3 && (revents[2] & FdPoll.HangupEvents) != 0) DaemonGone();
            }
        }
        finally
        {
            RemoveSleeper(wake);
        }
    }

    /// <summary><see cref="WaitForPeer"/> without a thread: completes when the other end of this pipe is open,
    /// synchronously when it already is. Cancellation and Dispose as for <see cref="WaitAsync"/>.</summary>
    public ValueTask WaitForPeerAsync(CancellationToken cancellationToken = default)
    {
        if (cancellationToken.IsCancellationRequested) return ValueTask.FromCanceled(cancellationToken);
        Enter();
        try
        {
            RequirePipe();
            if (ReadPeer(out _, out _) == PeerState.Attached) return ValueTask.CompletedTask;
            if (_failure is not null) return ValueTask.FromException(PeerWaitImpossible());
            Arm(PeerWakeup, true);
            if (ReadPeer(out _, out _) == PeerState.Attached)
            {
                Arm(PeerWakeup, false);
                return ValueTask.CompletedTask;
            }
            var waiter = Waiter();
            return new ValueTask(waiter, waiter.Begin(PollEvents.None, peerMode: true, cancellationToken));
        }
        finally { _gate.Exit(); }
    }

    /// <summary>netmapd is gone: no peer end can attach any more.</summary>
    internal NetmapException PeerWaitImpossible()
        => new(Errno.EPIPE, $"{Spec.Spec}: no peer end can attach any more: {_failure ?? "the engine is gone"}");

    private void RequirePipe()
    {
        if (_peerKring is null) throw new InvalidOperationException($"{Spec.Spec} is neither a pipe end nor a monitor: it has no peer to wait for");
    }

    private PortWaiter Waiter() => _waiter ??= PortWaiter.Create(this, _registration.KickFd, _hangupSlot >= 0 ? _waitFds[_hangupSlot] : -1,
        _binding.WaitFds[1..].ToArray(), Spec.Spec);

    /// <summary>Wait loop thread, inside the gate: what a pending wait found once the port's descriptors fired. Drains
    /// the kick line if it fired, records the daemon's death, re-checks; when nothing is ready re-arms NeedKick, fences
    /// and checks again (the waker may have published between the two). None: sleep again.</summary>
    internal PollEvents CheckPendingWait(PollEvents events, bool peerMode, bool kickFired, bool hangupFired, out bool stopWatchingHangup)
    {
        stopWatchingHangup = false;
        if (kickFired) DrainKick();
        var gone = PollEvents.None;
        if (hangupFired && DaemonGone())
        {
            gone = PollEvents.Error;
            stopWatchingHangup = _outlivesDaemon;
        }
        if (peerMode)
        {
            Arm(PeerWakeup, true);
            bool attached = ReadPeer(out _, out _) == PeerState.Attached;
            if (!attached && gone == PollEvents.None) return PollEvents.None;
            Arm(PeerWakeup, false);
            return attached ? PollEvents.In : PollEvents.Error; // In: attached; Error fails the wait (nobody can attach)
        }
        var ready = Check(events);
        if (ready == PollEvents.None && gone == PollEvents.None)
        {
            Arm(events, true);
            ready = Check(events);
        }
        if (ready != PollEvents.None || gone != PollEvents.None) Arm(events, false);
        return ready | gone;
    }

    /// <summary>WaitAsync/WaitForPeerAsync calls that had to sleep (tests).</summary>
    internal long PendingWaits => _waiter?.PendingWaits ?? 0;

    /// <summary>For the wait loop: counts a call in (false once the port is closing).</summary>
    internal bool TryEnter() => _gate.TryEnter();

    internal void Exit() => _gate.Exit();

    /// <summary>Poll's readiness: the peer's hang-up first (read before the rings, so HangUp without In means the
    /// frames it sent are all consumed), then the syncs.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private PollEvents Check(PollEvents events) => PeerEvents() | SyncAndCheck(events);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private PollEvents SyncAndCheck(PollEvents events) => (PollEvents)_binding.SyncAndCheck((PortEvents)(events & ~PollEvents.HangUp));

    /// <summary>Arms (or disarms) NeedKick on the rings <paramref name="events"/> waits for (full fence after arming).</summary>
    private void Arm(PollEvents events, bool on) => _binding.Arm((PortEvents)(events & ~PollEvents.HangUp), on);

    private void DrainKick() => _binding.DrainKick();

    /// <summary>
    /// nmport_inject: copies <paramref name="frame"/> into the next TX ring with room (round robin from the current
    /// one), split into nr_buf_size fragments chained with NS_MOREFRAG, and advances head and cur. Does not sync.
    /// Returns false (nothing written) when no ring has room or the frame needs more than 64 fragments. A slot whose
    /// buffer index is invalid (a peer handed it back so) is skipped: it goes out empty and is counted in
    /// <see cref="InvalidSlots"/>.
    /// </summary>
    public bool Inject(ReadOnlySpan<byte> frame)
    {
        Enter();
        try { return InjectCore(frame); }
        finally { _gate.Exit(); }
    }

    private bool InjectCore(ReadOnlySpan<byte> frame)
    {
        var tx = _tx;
        if (tx.Length == 0 || frame.Length == 0) return false;
        Span<uint> buffers = stackalloc uint[NetmapConstants.MaxFragments];
        for (int attempt = 0; attempt < tx.Length; attempt++)
        {
            int ri = _curTx + attempt;
            if (ri >= tx.Length) ri -= tx.Length;
            var ring = tx[ri].Ring;
            uint bs = ring.BufferSize;
            uint frags = (uint)((frame.Length + bs - 1) / bs);
            if (frags > NetmapConstants.MaxFragments) continue;
            uint space = ring.GetSpace(out uint head); // head and tail read once; head < num_slots when space > 0
            bool skipped = false;
            while (space >= frags)
            {
                // Each slot's buffer index read once and checked before anything is written.
                uint bad = ReadBuffers(ring, head, frags, buffers);
                if (bad == frags) break;
                // Slots up to the bad one go out empty; try again after it.
                for (uint j = 0; j <= bad; j++)
                {
                    ref var s = ref ring.Slot(head);
                    s.Length = 0;
                    s.Flags = SlotFlags.None;
                    head = ring.Next(head);
                }
                space -= bad + 1;
                Interlocked.Increment(ref _invalidSlots);
                skipped = true;
            }
            if (space < frags)
            {
                if (skipped) ring.Head = ring.Cur = head; // the skipped slots are handed over with the next sync
                continue;
            }
            int off = 0;
            for (uint f = 0; f < frags; f++)
            {
                ref var slot = ref ring.Slot(head);
                int len = (int)Math.Min(bs, (uint)(frame.Length - off));
                ring.TryGetBuffer(buffers[(int)f], out var buf); // checked above
                frame.Slice(off, len).CopyTo(buf);
                slot.Length = (ushort)len;
                slot.Flags = (slot.Flags & ~SlotFlags.MoreFragments) | (f + 1 < frags ? SlotFlags.MoreFragments : SlotFlags.None);
                off += len;
                head = ring.Next(head);
            }
            ring.Head = ring.Cur = head;
            _curTx = ri;
            return true;
        }
        return false;
    }

    /// <summary>Reads the buffer index of slots [head, head + count) once each into <paramref name="buffers"/>;
    /// returns the position of the first invalid one, or <paramref name="count"/>.</summary>
    private static uint ReadBuffers(NetmapRing ring, uint head, uint count, Span<uint> buffers)
    {
        for (uint j = 0; j < count; j++)
        {
            uint idx = ring.Slot(head).BufferIndex;
            if (!ring.IsValidBuffer(idx)) return j;
            buffers[(int)j] = idx;
            head = ring.Next(head);
        }
        return count;
    }

    /// <summary>
    /// nm_nextpkt: the next received slot of any bound RX ring (round robin from the current one), consumed
    /// (head and cur advance). The bytes stay valid until the next RxSync/Poll. False when every ring is empty.
    /// A slot with an invalid buffer index gives an empty frame (counted in <see cref="InvalidSlots"/>).
    /// </summary>
    public bool NextPacket(out Span<byte> frame, out SlotFlags flags)
    {
        Enter();
        try { return NextPacketCore(out frame, out flags); }
        finally { _gate.Exit(); }
    }

    private bool NextPacketCore(out Span<byte> frame, out SlotFlags flags)
    {
        var rx = _rx;
        for (int attempt = 0; attempt < rx.Length; attempt++)
        {
            int ri = _curRx + attempt;
            if (ri >= rx.Length) ri -= rx.Length;
            var ring = rx[ri].Ring;
            if (ring.GetSpace(out uint head) == 0) continue;
            ref var slot = ref ring.Slot(head);
            if (!ring.TryGetPayload(slot, out frame)) Interlocked.Increment(ref _invalidSlots);
            flags = slot.Flags;
            ring.Head = ring.Cur = ring.Next(head);
            _curRx = ri;
            return true;
        }
        frame = default;
        flags = SlotFlags.None;
        return false;
    }

    /// <summary>nm_dispatch: hands up to <paramref name="count"/> received slots (all available if &lt;= 0) to
    /// <paramref name="handler"/>, consuming them. Returns how many. Does not sync. The handler may use this port
    /// (Inject, to forward) but not dispose it (InvalidOperationException: return from the handler first).</summary>
    public int Dispatch(int count, PacketHandler handler)
    {
        var h = new DelegateHandler(handler);
        return Dispatch(count, ref h);
    }

    /// <summary>nm_dispatch with a struct handler (no delegate call per packet). A slot with an invalid buffer index
    /// is handed over as an empty frame (counted in <see cref="InvalidSlots"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public int Dispatch<THandler>(int count, ref THandler handler) where THandler : struct, IPacketHandler
    {
        Enter();
        int outer = _dispatchThread;
        _dispatchThread = Environment.CurrentManagedThreadId;
        try { return DispatchCore(count, ref handler); }
        finally
        {
            _dispatchThread = outer;
            _gate.Exit();
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private int DispatchCore<THandler>(int count, ref THandler handler) where THandler : struct, IPacketHandler
    {
        int done = 0;
        long invalid = 0;
        var rx = _rx;
        int limit = count <= 0 ? int.MaxValue : count;
        for (int attempt = 0; attempt < rx.Length && done < limit; attempt++)
        {
            int ri = _curRx + attempt;
            if (ri >= rx.Length) ri -= rx.Length;
            var ring = rx[ri].Ring;
            uint avail = ring.GetSpace(out uint head); // < num_slots: the walk stays in the ring
            uint take = (uint)Math.Min(avail, (uint)(limit - done));
            for (uint i = 0; i < take; i++)
            {
                ref var slot = ref ring.Slot(head);
                if (!ring.TryGetPayload(slot, out var frame)) invalid++;
                handler.Handle(frame);
                head = ring.Next(head);
            }
            done += (int)take;
            if (take == 0) continue;
            ring.Head = ring.Cur = head;
            if (take < avail) _curRx = ri;
        }
        if (invalid != 0) Interlocked.Add(ref _invalidSlots, invalid);
        return done;
    }

    private readonly struct DelegateHandler(PacketHandler h) : IPacketHandler
    {
        public void Handle(ReadOnlySpan<byte> frame) => h(frame);
    }

    /// <summary>
    /// The received frames as an async stream, for simple consumers:
    /// <code>
    /// await foreach (var batch in port.ReceiveAsync(ct))
    ///     foreach (var frame in batch) Handle(frame);
    /// </code>
    /// Each step lends the received slots of one RX ring (round robin) as a <see cref="ReceivedBatch"/>, without
    /// copying; they go back at the next step (see ReceivedBatch for the lifetime rule). With nothing received it
    /// awaits <see cref="WaitAsync"/> (no thread, nothing allocated in steady state). The stream ends when the other
    /// end of the pipe (or a monitor's port) is gone and every frame it sent has been handed out; it throws
    /// OperationCanceledException on cancellation, ObjectDisposedException after Dispose, and NetmapException when
    /// netmapd is gone and the port cannot work without it. One consumer; it owns the RX rings meanwhile.
    /// </summary>
    public IAsyncEnumerable<ReceivedBatch> ReceiveAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        return new PortReceiver(this, cancellationToken);
    }

    /// <summary>ReceiveAsync: the slots [head, tail) of the next RX ring that has some, from <paramref name="nextRing"/>
    /// on (advanced past it). Indices come from shared memory, read once: out of range reads as empty.</summary>
    internal bool TakeBatch(ref int nextRing, out NetmapRing ring, out uint head, out int count)
    {
        Enter();
        try
        {
            var rx = _rx;
            for (int attempt = 0; attempt < rx.Length; attempt++)
            {
                int ri = nextRing + attempt;
                if (ri >= rx.Length) ri -= rx.Length;
                var r = rx[ri].Ring;
                uint avail = r.GetSpace(out uint h); // head and tail read once; 0 when either is outside the ring
                if (avail == 0) continue;
                ring = r;
                head = h;
                count = (int)avail;
                nextRing = ri + 1 == rx.Length ? 0 : ri + 1;
                return true;
            }
            ring = null!;
            head = 0;
            count = 0;
            return false;
        }
        finally { _gate.Exit(); }
    }

    /// <summary>ReceiveAsync: gives a lent batch back (head = cur = its end); nothing once the port is closing.</summary>
    internal void ReleaseBatch(NetmapRing ring, uint end)
    {
        if (!_gate.TryEnter()) return;
        try { ring.Head = ring.Cur = end; }
        finally { _gate.Exit(); }
    }

    /// <summary>An RxSync unless the port is closing (never throws: for cleanup paths).</summary>
    internal void TrySync()
    {
        if (!_gate.TryEnter()) return;
        try
        {
            _binding.RxSync();
        }
        finally { _gate.Exit(); }
    }

    internal void ThrowIfClosed() => ThrowIfDisposed();

    /// <summary>After an Error: throws when netmapd is gone and the port cannot work without it.</summary>
    internal void ThrowIfDaemonLossIsFatal()
    {
        if (_failure is not null && !_outlivesDaemon) throw new NetmapException(Errno.EPIPE, $"{Spec.Spec}: {_failure}");
    }

    /// <summary>The bytes of buffer <paramref name="bufferIndex"/> of the port's region (e.g. an extra buffer). Do not
    /// keep it past Dispose.</summary>
    public Span<byte> Buffer(uint bufferIndex)
    {
        ThrowIfDisposed();
        if (bufferIndex >= Layout.BufObjTotal) throw new ArgumentOutOfRangeException(nameof(bufferIndex));
        return _registration.Memory.Span(Layout.BufPoolOffset + (long)bufferIndex * Layout.BufObjSize, (int)Layout.BufObjSize);
    }

    /// <summary>Counts a call in, or throws ObjectDisposedException (out of line) once Dispose began.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Enter()
    {
        if (!_gate.TryEnter()) ThrowDisposed();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void ThrowIfDisposed()
    {
        if (_gate.IsClosing) ThrowDisposed();
    }

    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    private void ThrowDisposed() => throw new ObjectDisposedException(Spec.Spec);

    /// <summary>
    /// Unregisters: the engine reclaims the extra buffers then reachable from ni_bufs_head, drops exclusive holds, and
    /// frees the port's rings when nobody else keeps them. Safe from any thread and idempotent: it refuses new calls,
    /// wakes the threads sleeping on this port (their Poll/WaitForPeer throw ObjectDisposedException) and completes a
    /// pending WaitAsync with ObjectDisposedException, waits for the calls in progress to return, and only then
    /// releases the mapping and the descriptors. Not from inside this port's own Dispatch handler (it would wait
    /// for itself): InvalidOperationException.
    /// </summary>
    public void Dispose()
    {
        if (Volatile.Read(ref _dispatchThread) == Environment.CurrentManagedThreadId)
            throw new InvalidOperationException($"{Spec.Spec}: Dispose from inside the port's own Dispatch handler; return from the handler first");
        if (!_gate.Close()) return;
        lock (_sleepers) foreach (var w in _sleepers) w.Signal();
        Volatile.Read(ref _waiter)?.AbortDisposed();
        _gate.WaitIdle();
        // A wait that was being set up while we signalled is armed by now: complete it too, then drop the waiter.
        _waiter?.AbortDisposed();
        _waiter?.Detach();
        _epoll?.Dispose();
        _binding.Dispose();
        _channel.Dispose();
        _registration.Dispose();
    }
}
