using System.Diagnostics;
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
    private long _invalidSlots;
    private bool _disposed;

    private NetmapPort(PortSpec spec, IControlChannel channel, ChannelRegistration reg, in NmReqRegister r, NetmapPortOptions options)
    {
        Spec = spec;
        _channel = channel;
        _registration = reg;
        MemId = r.MemId;
        MemSize = (long)r.MemSize;
        ExtraBuffers = r.ExtraBufs;
        TxSlots = r.TxSlots; RxSlots = r.RxSlots;
        _binding = new PortBinding(reg.Memory, MemSize, (long)r.Offset, reg.KickFd, reg.PeerKickFd, reg.BackendFds, reg.Token,
            (spec.Flags & RegisterFlags.NoTxPoll) == 0, reg.LocalAdapter, options.Spin, spec.Spec);
        Interface = new NetmapInterface(reg.Memory, _binding.NifpOffset, _binding.RingOfsCount);
        _tx = _binding.Tx.ToArray();
        _rx = _binding.Rx.ToArray();
        FirstTxRing = _binding.FirstTxRing; FirstRxRing = _binding.FirstRxRing;
        _outlivesDaemon = _tx.Concat(_rx).All(k => k.Kind is KringKind.PipeTx or KringKind.PipeRx or KringKind.Null);
        // The daemon's connection sleeps with the rest: its hangup (netmapd died) ends the wait.
        BuildWaitSet(channel.HangupFd);
        TxRings = _tx.Select(k => k.Ring).ToArray();
        RxRings = _rx.Select(k => k.Ring).ToArray();
    }

    /// <summary>The parsed port name.</summary>
    public PortSpec Spec { get; }
    /// <summary>The port's netmap_if.</summary>
    public NetmapInterface Interface { get; }
    /// <summary>Bound TX rings, from <see cref="FirstTxRing"/> on (host rings follow the hardware ones: index
    /// <c>Interface.TxRings</c> is the first host ring).</summary>
    public IReadOnlyList<NetmapRing> TxRings { get; }
    /// <summary>Bound RX rings, from <see cref="FirstRxRing"/> on.</summary>
    public IReadOnlyList<NetmapRing> RxRings { get; }
    /// <summary>Index (in the netmap_if) of the first bound TX ring.</summary>
    public int FirstTxRing { get; }
    /// <summary>Index (in the netmap_if) of the first bound RX ring.</summary>
    public int FirstRxRing { get; }
    /// <summary>nr_tx_slots: slots per TX ring.</summary>
    public uint TxSlots { get; }
    /// <summary>nr_rx_slots: slots per RX ring.</summary>
    public uint RxSlots { get; }
    /// <summary>nr_mem_id of the port's region.</summary>
    public ushort MemId { get; }
    /// <summary>nr_memsize.</summary>
    public long MemSize { get; }
    /// <summary>Extra buffers obtained (chained from <see cref="NetmapInterface.BufsHead"/>).</summary>
    public uint ExtraBuffers { get; }
    /// <summary>Slots that <see cref="Inject"/>, <see cref="NextPacket"/> and <see cref="Dispatch{THandler}"/>
    /// found holding an invalid buffer index (a peer or another process of the region wrote it): Inject skips such a
    /// slot (it goes out empty), the receive paths hand it over as an empty frame. Counted, never thrown.</summary>
    public long InvalidSlots => Volatile.Read(ref _invalidSlots);
    internal RegionLayout Layout => _binding.Layout;
    internal IReadOnlyList<Kring> TxKrings => _tx;
    internal IReadOnlyList<Kring> RxKrings => _rx;

    /// <summary>The descriptor that becomes readable when the port may have become ready: the port's kick line, or for a
    /// Linux interface an epoll descriptor covering the kick line and the kernel queues (readable when frames arrive;
    /// TX room on an interface comes back within TxSync, so wait for Out with <see cref="Poll"/>). For your own
    /// epoll/select loop: call <see cref="PrepareWait"/> before sleeping on it, and <see cref="Poll"/> with timeout 0 after.</summary>
    public int FileDescriptor
    {
        get
        {
            if (!_binding.HasBackends) return _registration.KickFd;
            return (_epoll ??= Interop.EpollSet.Create(_binding.WaitFds, Spec.Spec)).Fd;
        }
    }

    /// <summary>
    /// Why the port lost its engine, or null while it has one: "netmapd at PATH closed the connection" once netmapd
    /// died (or shut down). The rings stay mapped, so TxSync/RxSync keep working on the memory (a pipe's peer may
    /// still be there), but nothing the daemon did (VALE forwarding, monitor wakeups, an interface's netmap mode)
    /// happens any more; <see cref="Poll"/> reports <see cref="PollEvents.Error"/>. Always null on an embedded engine.
    /// </summary>
    public string? Failure => _failure ??= _channel.Failure;

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
    public bool TxSync() => _binding.TxSync();

    /// <summary>NIOCRXSYNC: releases [hwcur, head) of every bound RX ring and exposes new slots up to tail.
    /// False when a ring had to be reinitialised (new slots are still fetched).</summary>
    public bool RxSync() => _binding.RxSync();

    /// <summary>
    /// netmap's poll(): syncs the rings (TX rings too unless NR_NO_TX_POLL, or only when <see cref="PollEvents.Out"/>
    /// is asked), reports In when an RX ring has cur != tail, Out when a TX ring has cur != tail, Error after a
    /// reinit. Blocks up to <paramref name="timeoutMs"/> (-1 = forever): spins first, then sleeps on the kick line (and
    /// the daemon connection) with "need kick" armed so the peer wakes it. Returns None on timeout. When the port's
    /// netmapd goes away (<see cref="Failure"/> says why), the Poll that sees it returns Error; from then on a port
    /// that needs the daemon (VALE, monitor, Linux interface) returns Error at once instead of sleeping, while a pipe
    /// (whose data and wakeups go from client to client) polls as before.
    /// </summary>
    public PollEvents Poll(PollEvents events, int timeoutMs)
    {
        var e = (PortEvents)events;
        long start = Stopwatch.GetTimestamp();
        long deadline = timeoutMs < 0 ? long.MaxValue : start + timeoutMs * Stopwatch.Frequency / 1000;
        var ready = _binding.SyncAndCheck(e);
        if (_failure is not null && !_outlivesDaemon) return (PollEvents)(ready | PortEvents.Error);
        if (ready != PortEvents.None || timeoutMs == 0) return (PollEvents)ready;
        long spinEnd = Math.Min(deadline, start + _binding.SpinTicks);
        while (Stopwatch.GetTimestamp() < spinEnd)
        {
            Thread.Yield(); // on a shared core (2-vCPU machines) let the peer run instead of burning its slice
            ready = _binding.SyncAndCheck(e);
            if (ready != PortEvents.None) return (PollEvents)ready;
        }
        Span<short> revents = stackalloc short[FdPoll.MaxDescriptors];
        while (true)
        {
            ready = _binding.PrepareWait(e);
            if (ready != PortEvents.None) return (PollEvents)ready;
            long now = Stopwatch.GetTimestamp();
            if (now >= deadline) { _binding.Arm(e, false); return PollEvents.None; }
            int waitMs = deadline == long.MaxValue ? -1 : (int)Math.Max(1, Math.Min(int.MaxValue, (deadline - now) * 1000 / Stopwatch.Frequency));
            if (_waitFds.Length == 1)
            {
                FdPoll.WaitReadable(_registration.KickFd, waitMs);
                _binding.DrainKick();
                continue;
            }
            // The kernel queues of a Linux interface and the daemon connection wake us too; the kick line (first) is
            // drained only when it fired, so a kernel wakeup costs no extra read(2).
            FdPoll.Wait(_waitFds, (events & (PollEvents.In | PollEvents.Out)) switch
            {
                PollEvents.Out => _waitOut,
                PollEvents.In => _waitIn,
                _ => _waitBoth,
            }, revents, waitMs);
            if (revents[0] != 0) _binding.DrainKick();
            if (_hangupSlot >= 0 && (revents[_hangupSlot] & FdPoll.HangupEvents) != 0 && DaemonGone())
            {
                _binding.Arm(e, false);
                return (PollEvents)(_binding.SyncAndCheck(e) | PortEvents.Error);
            }
        }
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
        var wake = _binding.WaitFds.ToArray();
        _hangupSlot = hangupFd >= 0 ? 1 : -1;
        _waitFds = hangupFd >= 0 ? [wake[0], hangupFd, .. wake[1..]] : wake;
        short Events(int i, short queue) => i == 0 ? Libc.POLLIN : i == _hangupSlot ? Libc.POLLRDHUP : queue;
        _waitIn = _waitFds.Select((_, i) => Events(i, Libc.POLLIN)).ToArray();
        _waitOut = _waitFds.Select((_, i) => Events(i, Libc.POLLOUT)).ToArray();
        _waitBoth = _waitFds.Select((_, i) => Events(i, (short)(Libc.POLLIN | Libc.POLLOUT))).ToArray();
    }

    /// <summary>Arms the wakeup for <paramref name="events"/> before sleeping on <see cref="FileDescriptor"/> in your
    /// own event loop. Returns the events already ready (then do not sleep).</summary>
    public PollEvents PrepareWait(PollEvents events) => (PollEvents)_binding.PrepareWait((PortEvents)events);

    /// <summary>Resets the kick line after it was found readable (for your own loop; <see cref="Poll"/> does it itself).</summary>
    public void AcknowledgeWakeup() => _binding.DrainKick();

    /// <summary>Async wait for <paramref name="events"/>: a sleep on the kick line on a pool thread, in slices so that
    /// cancellation is honoured within ~50 ms. Completes synchronously when the port is already ready.</summary>
    public ValueTask<PollEvents> WaitAsync(PollEvents events, CancellationToken cancellationToken = default)
    {
        var ready = Poll(events, 0);
        if (ready != PollEvents.None) return new ValueTask<PollEvents>(ready);
        return new ValueTask<PollEvents>(Task.Factory.StartNew(() =>
        {
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var r = Poll(events, 50);
                if (r != PollEvents.None) return r;
            }
        }, cancellationToken, TaskCreationOptions.LongRunning, TaskScheduler.Default));
    }

    /// <summary>
    /// nmport_inject: copies <paramref name="frame"/> into the next TX ring with room (round robin from the current
    /// one), split into nr_buf_size fragments chained with NS_MOREFRAG, and advances head and cur. Does not sync.
    /// Returns false (nothing written) when no ring has room or the frame needs more than 64 fragments. A slot whose
    /// buffer index is invalid (a peer handed it back so) is skipped: it goes out empty and is counted in
    /// <see cref="InvalidSlots"/>.
    /// </summary>
    public bool Inject(ReadOnlySpan<byte> frame)
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
    /// <paramref name="handler"/>, consuming them. Returns how many. Does not sync.</summary>
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

    /// <summary>The bytes of buffer <paramref name="bufferIndex"/> of the port's region (e.g. an extra buffer).</summary>
    public Span<byte> Buffer(uint bufferIndex)
    {
        if (bufferIndex >= Layout.BufObjTotal) throw new ArgumentOutOfRangeException(nameof(bufferIndex));
        return _registration.Memory.Span(Layout.BufPoolOffset + (long)bufferIndex * Layout.BufObjSize, (int)Layout.BufObjSize);
    }

    /// <summary>Unregisters: the engine reclaims the extra buffers then reachable from ni_bufs_head, drops
    /// exclusive holds, and frees the port's rings when nobody else keeps them.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _epoll?.Dispose();
        _binding.Dispose();
        _channel.Dispose();
        _registration.Dispose();
    }
}
