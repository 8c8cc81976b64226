using System.Runtime.InteropServices;
using System.Text;
using Netmap.Abi;
using Netmap.Adapters;
using Netmap.Adapters.Monitor;
using Netmap.Adapters.Nic;
using Netmap.Adapters.Null;
using Netmap.Adapters.Pipe;
using Netmap.Adapters.Vale;
using Netmap.Memory;
using Netmap.Rings;
using Netmap.Engine;

namespace Netmap;

/// <summary>
/// The user-space netmap "kernel": allocators, adapters, registrations and the NIOCCTRL request processing of
/// spec section 2.2. Hosted in a process (embedded) or by netmapd; both hosts pass requests in
/// <see cref="RequestMessage"/> form. Control operations are serialised by one lock; the data path never
/// enters the engine (pipe and null syncs run in the clients over the shared region).
/// </summary>
public sealed class NetmapEngine : IDisposable
{
    private readonly object _lock = new();
    private readonly AllocatorRegistry _allocators;
    private readonly Dictionary<string, PipeParent> _pipeParents = new(StringComparer.Ordinal);
    private List<ulong> _optionScratch = new();
    /// <summary>Depth of <see cref="Control"/> calls in progress (an attach opens its ports through the engine).</summary>
    private int _nesting;
    private readonly ValeSystem _vale;
    private readonly MonitorSystem _monitors;
    private readonly NicSystem _nics;
    /// <summary>Linux interfaces attached to switches, by VALE port name ("vale0:veth0").</summary>
    private readonly Dictionary<string, IInterfaceBridge> _attached = new(StringComparer.Ordinal);
    /// <summary>The client of the request being processed (0 = this process), for interface lookups in its namespace.</summary>
    private int _callerPid;
    private uint _callerUid;
    /// <summary>The client of the request being processed, for the ownership checks and what it creates.</summary>
    private AccessCaller _caller = new(0, 0, ObjectAccess.DefaultMode);
    /// <summary>The request comes from the engine's own session (an attached interface's bridge).</summary>
    private bool _internalCaller;
    private uint _defaultMode = ObjectAccess.DefaultMode;
    private uint _nextToken = 1;
    private bool _disposed;
    /// <summary>Requests building outside the lock (extra-buffer lists); Dispose and closes wait for them.</summary>
    private int _building;
    private EngineLimits _limits = EngineLimits.Unlimited;

    /// <summary>A new engine with the default global allocator (netmap's sizes; created on first use).</summary>
    public NetmapEngine() : this(null) { }

    internal NetmapEngine(AllocatorParameters? globalParameters)
    {
        _allocators = new AllocatorRegistry(globalParameters);
        _vale = new ValeSystem(_allocators, m => Log?.Invoke(m));
        _monitors = new MonitorSystem(_allocators, m => Log?.Invoke(m));
        _nics = new NicSystem(_allocators, m => Log?.Invoke(m));
    }

    /// <summary>
    /// Who may put Linux interfaces into netmap mode through this engine, given the client's uid (netmapd sets it
    /// from its --interfaces policy; null = anyone who can reach the engine). The embedded engine leaves it null:
    /// there the process's own capabilities decide.
    /// </summary>
    internal Func<uint, bool>? InterfacePolicy { get; set; }

    /// <summary>What the engine may spend per user and in all (netmapd sets <see cref="EngineLimits.ForDaemon"/> or its
    /// --max-* flags); applies to what is created from now on.</summary>
    public EngineLimits Limits
    {
        get { lock (_lock) return _limits; }
        set
        {
            ArgumentNullException.ThrowIfNull(value);
            lock (_lock) { _limits = value; value.ApplyTo(_allocators.Quota); }
        }
    }

    /// <summary>What <paramref name="uid"/> holds now: bytes of shared memory, regions, ports, pipes, extra buffers,
    /// descriptors (for diagnostics and tests).</summary>
    public (long Memory, long Regions, long Ports, long Pipes, long ExtraBuffers, long Descriptors) Usage(uint uid)
    {
        lock (_lock)
        {
            var q = _allocators.Quota;
            return (q.Used(uid, ResourceKind.Memory), q.Used(uid, ResourceKind.Regions), q.Used(uid, ResourceKind.Ports),
                q.Used(uid, ResourceKind.Pipes), q.Used(uid, ResourceKind.ExtraBuffers), q.Used(uid, ResourceKind.Descriptors));
        }
    }

    /// <summary>
    /// The mode bits (like a file's: owner, group, others; r = see, w = use) of switches, ports, pipes and regions
    /// created by a request that names none (our option NETMAP_REQ_OPT_ACCESS, <c>@conf:mode=</c>). 0600 by default:
    /// only the creator and root. netmapd --default-mode sets it.
    /// </summary>
    public uint DefaultMode
    {
        get { lock (_lock) return _defaultMode; }
        set
        {
            if (value > ObjectAccess.MaxMode) throw new ArgumentOutOfRangeException(nameof(value), $"mode {value} is above 0777");
            lock (_lock) _defaultMode = value;
        }
    }

    /// <summary>Called (for tests) when a request leaves the engine lock to build something large outside it, with the
    /// name of the port.</summary>
    internal Action<string>? OnBuildingOutsideLock { get; set; }

    /// <summary>Linux interfaces in netmap mode now.</summary>
    internal int InterfaceCount { get { lock (_lock) return _nics.Count; } }

    /// <summary>
    /// Makes VALE forwarding run on <paramref name="count"/> engine threads instead of in the caller's txsync: what
    /// netmapd does, because its clients are other processes that must not write into each other's regions.
    /// Call before the first VALE port exists; a second call is ignored.
    /// </summary>
    public void UseValeWorkers(int count, TimeSpan? spin = null)
    {
        lock (_lock) _vale.UseWorkers(count, spin ?? TimeSpan.FromMicroseconds(50));
    }

    /// <summary>
    /// Installs <paramref name="lookup"/> as the forwarding decision of switch <paramref name="switchName"/>
    /// ("vale0"), creating the switch (persistent: it stays when its last port leaves) if it does not exist.
    /// Null restores netmap's learning bridge and clears its table.
    /// </summary>
    public void SetValeLookup(string switchName, IValeLookup? lookup)
    {
        lock (_lock) _vale.SetLookup(switchName, lookup, create: true);
    }

    /// <summary>VALE switches alive now.</summary>
    internal int ValeSwitchCount { get { lock (_lock) return Enumerable.Range(0, NetmapConstants.MaxBridges).Count(i => _vale.SwitchAt(i) is not null); } }

    /// <summary>VALE ports alive now (ephemeral and persistent).</summary>
    internal int ValePortCount { get { lock (_lock) return _vale.SnapshotPorts.Length; } }

    /// <summary>Optional sink for engine diagnostics (double frees, reclaimed clients...).</summary>
    public Action<string>? Log { get; set; }

    internal AllocatorRegistry Allocators => _allocators;

    internal EngineSession OpenSession(string peer, int peerPid = 0, uint peerUid = 0, bool isInternal = false)
        => new(this, peer, peerPid, peerUid) { Internal = isInternal };

    /// <summary>Live registrations (for diagnostics and tests).</summary>
    internal int RegistrationCount { get; private set; }

    /// <summary>Live pipes across all parents.</summary>
    internal int PipeCount { get { lock (_lock) return _pipeParents.Values.Sum(p => p.Count); } }

    /// <summary>Free buffers of allocator <paramref name="memId"/> (-1 if it does not exist).</summary>
    internal long FreeBuffers(ushort memId)
    {
        lock (_lock) return _allocators.TryGet(memId, out var r) ? r.Buffers.Free : -1;
    }

    /// <summary>Double frees the allocators refused so far (all regions alive).</summary>
    internal long DoubleFrees { get { lock (_lock) return _allocators.Regions.Sum(r => r.Buffers.DoubleFrees); } }

    /// <summary>
    /// Processes one request in place. Returns 0 or an errno (the ioctl's return); on success the body is
    /// written back; option headers always are. <paramref name="result"/> is set by a successful REGISTER.
    /// Never throws for bad input.
    /// The detail of a refusal ("p{1: NIOCCTRL REGISTER: EBUSY, tx ring 0 is held exclusively") is left in
    /// <see cref="EngineSession.LastError"/>.
    /// </summary>
    internal Errno Control(EngineSession session, Span<byte> msg, out RegisterResult? result)
    {
        Errno err;
        Registration? build;
        lock (_lock) err = ControlLocked(session, msg, out result, out build);
        if (build is not null) BuildOutsideLock(build);
        return err;
    }

    /// <summary>
    /// The part of a REGISTER that may be large and touches only what the registration was just given: threading up to
    /// 128 * 4096 extra buffers into a list writes into every one of them (a GiB of fresh memfd pages). It runs without
    /// the engine lock, so other clients' requests go on meanwhile; the list is published (ni_bufs_head, and the place
    /// the ledger searches) under the lock afterwards. A close of this session and Dispose wait for it.
    /// </summary>
    private void BuildOutsideLock(Registration reg)
    {
        var extra = reg.PendingExtra!;
        var region = reg.Adapter.Region;
        uint head = 0;
        try
        {
            OnBuildingOutsideLock?.Invoke(reg.Adapter.Name);
            var mem = region.Mapping;
            foreach (uint b in extra)
            {
                mem.Ref<uint>(region.BufferOffset(b)) = head;
                head = b;
            }
        }
        finally
        {
            lock (_lock)
            {
                if (!_disposed)
                {
                    region.Mapping.Ref<NetmapIfHeader>(reg.NifpOffset).BufsHead = head;
                    reg.ExtraBuffers!.SetList(reg.NifpOffset, (uint)extra.Length);
                }
                reg.PendingExtra = null;
                _building--;
                Monitor.PulseAll(_lock);
            }
        }
    }

    /// <summary><paramref name="build"/>: the registration this request made, when its extra-buffer list is still to be
    /// threaded (outside the lock, by <see cref="Control"/>).</summary>
    private Errno ControlLocked(EngineSession session, Span<byte> msg, out RegisterResult? result, out Registration? build)
    {
        result = null;
        build = null;
        var before = session.Registration;
        if (msg.Length < NmReqHeader.Size) return Errno.EINVAL;
        if (_disposed) return Errno.ENXIO;
        ref var h = ref RequestMessage.Header(msg);
        h.Name[NetmapConstants.RequestIfNameSize - 1] = 0;
        if (h.Version < NetmapConstants.MinApi || h.Version > NetmapConstants.MaxApi) return Errno.EINVAL;
        if (h.Reserved != 0) return Errno.EINVAL;
        int? bodySize = RequestMessage.BodySize(h.RequestType);
        if (bodySize is null) return Errno.EINVAL;
        if ((bodySize < 0) != (h.Body == 0)) return Errno.EINVAL;
        if (bodySize > 0 && !RequestMessage.InBounds(msg.Length, h.Body, bodySize.Value)) return Errno.EFAULT;
        // Requests nest (an attach opens its ports through the engine): keep this call's context on the stack.
        var (outerPid, outerUid, outerOptions, outerCaller, outerInternal) = (_callerPid, _callerUid, _optionScratch, _caller, _internalCaller);
        if (_nesting++ > 0) _optionScratch = new List<ulong>(); // only a nested request needs a list of its own
        try
        {
            var optErr = RequestMessage.CheckOptions(msg, bodySize.Value, _optionScratch);
            if (optErr != Errno.None) return optErr;

            // Work on a copy of the body: it is written back only on success.
            Span<byte> body = stackalloc byte[Math.Max(bodySize.Value, 0)];
            if (bodySize > 0) msg.Slice((int)h.Body, bodySize.Value).CopyTo(body);
            string name = h.GetName();
            _callerPid = session.PeerPid;
            _callerUid = session.PeerUid;
            _internalCaller = session.Internal;
            if (RequestedMode(msg, h.RequestType, out uint? requestedMode) is var modeErr and not Errno.None) return modeErr;
            // A nested request (an attach opening its ports) creates with the mode of the request that made it.
            _caller = new AccessCaller(session.PeerUid, session.PeerPid, requestedMode ?? (_nesting > 1 ? outerCaller.Mode : _defaultMode));
            Errno err;
            try
            {
                err = h.RequestType switch
                {
                    RequestType.Register => Register(session, msg, name, ref MemoryMarshal.AsRef<NmReqRegister>(body), out result),
                    RequestType.PortInfoGet => PortInfoGet(name, ref MemoryMarshal.AsRef<NmReqPortInfoGet>(body)),
                    RequestType.PoolsInfoGet => PoolsInfoGet(name, ref MemoryMarshal.AsRef<NmReqPoolsInfo>(body)),
                    RequestType.PortHeaderGet => PortHeaderGet(name, ref MemoryMarshal.AsRef<NmReqPortHeader>(body)),
                    RequestType.PortHeaderSet => PortHeaderSet(name, MemoryMarshal.AsRef<NmReqPortHeader>(body)),
                    RequestType.ValeAttach => ValeAttach(msg, name, ref MemoryMarshal.AsRef<NmReqValeAttach>(body)),
                    RequestType.ValeDetach => ValeDetach(name, ref MemoryMarshal.AsRef<NmReqValeDetach>(body)),
                    RequestType.ValeList => ValeList(ref h, name, ref MemoryMarshal.AsRef<NmReqValeList>(body)),
                    RequestType.ValeNewInterface => ValeNewInterface(name, ref MemoryMarshal.AsRef<NmReqValeNewInterface>(body)),
                    RequestType.ValeDeleteInterface => ValeDeleteInterface(name),
                    RequestType.ValePollingEnable or RequestType.ValePollingDisable => ValePolling(name, h.RequestType, MemoryMarshal.AsRef<NmReqValePolling>(body)),
                    RequestType.ValePortStatsGet => ValePortStats(name, ref MemoryMarshal.AsRef<NmReqValePortStats>(body)),
                    RequestType.SessionRegistrationGet => SessionRegistrationGet(session, ref MemoryMarshal.AsRef<NmReqRegister>(body), out result),
                    RequestType.SessionSync => SessionSync(session, ref MemoryMarshal.AsRef<NmReqSessionSync>(body)),
                    RequestType.LegacyRegIf or RequestType.LegacyGetInfo =>
                        Legacy(session, h.RequestType == RequestType.LegacyRegIf, ref MemoryMarshal.AsRef<NmReqLegacy>(body), out result),
                    // Kloop and CSB need a CSB registered first, which this engine does not offer.
                    RequestType.SyncKloopStart or RequestType.SyncKloopStop or RequestType.CsbEnable => Errno.EINVAL,
                    _ => Errno.EINVAL,
                };
            }
            catch (NetmapException e)
            {
                Log?.Invoke(e.Message);
                session.LastError = e.Message;
                err = e.Errno;
                result = null;
            }
            catch (Exception e) when (e is ArgumentException or InvalidOperationException or IndexOutOfRangeException or OverflowException)
            {
                // A request that reached a bug must not take the engine down: report and refuse it.
                Log?.Invoke($"{name}: {h.RequestType}: internal error: {e}");
                err = Errno.EINVAL;
                result = null;
            }
            if (err == Errno.None)
            {
                // An option nobody consumed fails the request (and undoes a registration).
                foreach (var off in _optionScratch)
                {
                    if (RequestMessage.At<NmReqOption>(msg, off).Status == (uint)Errno.EOPNOTSUPP)
                    {
                        if (result is not null) { Unregister(session); result = null; }
                        return Errno.EOPNOTSUPP;
                    }
                }
                if (bodySize > 0) body.CopyTo(msg.Slice((int)h.Body, bodySize.Value));
                // Counted under the lock, so that Dispose and a close of this session know to wait for the build.
                if (session.Registration is { PendingExtra: not null } made && !ReferenceEquals(made, before))
                {
                    _building++;
                    build = made;
                }
            }
            return err;
        }
        finally
        {
            (_callerPid, _callerUid, _optionScratch, _caller, _internalCaller) = (outerPid, outerUid, outerOptions, outerCaller, outerInternal);
            _nesting--;
        }
    }

    internal void CloseSession(EngineSession session)
    {
        lock (_lock)
        {
            // A registration still building its extra-buffer list (another thread of this process closing the
            // session) keeps its region until that is done.
            while (session.Registration is { PendingExtra: not null }) Monitor.Wait(_lock);
            if (_disposed) { session.Registration = null; return; } // the regions died with the engine: nothing to touch
            Unregister(session);
        }
    }

    // ---------------------------------------------------------------- REGISTER

    private Errno Register(EngineSession session, Span<byte> msg, string name, ref NmReqRegister req, out RegisterResult? result)
    {
        result = null;
        if (session.IsClosed) return Errno.EBADF;
        if (session.Registration is not null) return Errno.EBUSY;
        if (name.Length == 0) return Errno.EINVAL;
        var mode = req.Mode;
        ushort ringId = req.RingId;
        var flags = req.Flags;
        if (mode == RegisterMode.Default) TranslateLegacyRingId(ref mode, ref ringId, ref flags);
        if (mode is RegisterMode.PipeMaster or RegisterMode.PipeSlave || (uint)mode > (uint)RegisterMode.OneSoftware) return Errno.EINVAL;
        if (req.MemId != 0 && !_allocators.TryGet(req.MemId, out _)) return Errno.EINVAL;
        // Extra buffers: at most netmap's clamp and what the caller's limits leave; a new private region is sized for
        // the grant, not for the request.
        req.ExtraBufs = (uint)Math.Min(req.ExtraBufs, Math.Min(_limits.MaxExtraBuffersPerRegistration,
            _allocators.Quota.Available(_callerUid, ResourceKind.ExtraBuffers)));

        NetmapAdapter adapter;
        if (mode == RegisterMode.Null)
        {
            if (req.MemId == 0 || !_allocators.TryGet(req.MemId, out var region)) return Errno.EINVAL;
            string nullName = "null:" + name;
            region.Access.Demand(_caller, AccessRight.Use, $"mem_id {req.MemId}", name, "REGISTER");
            var charge = _allocators.Quota.Open(_callerUid);
            try
            {
                charge.Add(ResourceKind.Ports, 1, nullName, "REGISTER").Add(ResourceKind.Descriptors, 2, nullName, "REGISTER");
                adapter = NullAdapter.Create(nullName, region, req.TxRings, req.RxRings,
                    req.TxSlots == 0 ? NetmapConstants.BridgeRingSize : req.TxSlots,
                    req.RxSlots == 0 ? NetmapConstants.BridgeRingSize : req.RxSlots, _allocators);
            }
            catch
            {
                charge.Dispose();
                throw;
            }
            adapter.Charge = charge;
            adapter.Access = _caller.NewObject();
        }
        else if ((flags & (RegisterFlags.MonitorRx | RegisterFlags.MonitorTx | RegisterFlags.ZeroCopyMonitor)) != 0)
        {
            // A /z monitor sees both directions, and says so in the written-back nr_flags (as netmap).
            if ((flags & RegisterFlags.ZeroCopyMonitor) != 0)
            {
                flags |= RegisterFlags.MonitorTx | RegisterFlags.MonitorRx;
                req.Flags |= RegisterFlags.MonitorTx | RegisterFlags.MonitorRx;
            }
            // Clients of another process may fill the monitor's rings where netmapd forwards: wake it by relay.
            adapter = _monitors.Create(FindMonitoredPort(name), flags, req.TxSlots, req.RxSlots, relayed: _vale.HasWorkers, _caller);
        }
        else
        {
            if (IsPipeName(name) && mode is not (RegisterMode.AllNic or RegisterMode.OneNic)) return Errno.EINVAL;
            if (!session.Internal && !IsPipeName(name) && name.StartsWith(NetmapConstants.BridgeNamePrefix, StringComparison.Ordinal))
                RefuseInterfacePortName(name);
            adapter = FindOrCreateAdapter(name, ref req, "REGISTER", RequestedBackend(msg));
        }

        try
        {
            if (adapter is ValePort vp && vp.Registrations == 0) ValeSystem.OnFirstRegistration(vp);
            if (mode is RegisterMode.Software or RegisterMode.NicAndSoftware or RegisterMode.OneSoftware && adapter.HostTx.Length > 0)
                adapter.PrepareHostRings();
            var reg = Bind(adapter, name, mode, ringId, flags, ref req);
            reg.Written = req;
            session.Registration = reg;
            RegistrationCount++;
            if (adapter is MonitorAdapter monitor)
            {
                try { _monitors.Activate(monitor, reg.RxFirst, reg.RxLast); }
                catch { Unregister(session); throw; }
            }
            if (adapter is PipeEnd arriving && arriving.Registrations == 1) arriving.AnnouncePresence(KringState.PeerAttached, session.PeerPid);
            result = MakeResult(session, reg);
            if (result.LocalAdapter is ValePort own && session.Internal) own.ForwardedByCaller = true;
            return Errno.None;
        }
        finally
        {
            if (adapter.Registrations == 0) adapter.OnUnused();
        }
    }

    /// <summary>What the host hands the client for <paramref name="reg"/>: region, wakeup lines, kernel queues.</summary>
    private RegisterResult MakeResult(EngineSession session, Registration reg)
    {
        var adapter = reg.Adapter;
        // A VALE port forwards in the caller's txsync when the caller is this process: an embedded engine, or the
        // engine's own client (an attached interface's bridge thread in netmapd, netmap's bwrap forwarding in
        // the NIC's context). Only other processes need the workers.
        bool inCaller = adapter is ValePort && (!_vale.HasWorkers || session.Internal);
        return new RegisterResult(adapter.Region, reg.NifpOffset, adapter.Kick.WaitFd, adapter.PeerKick?.SignalFd ?? -1, reg.Token,
            inCaller ? adapter : null, (adapter as NicAdapter)?.QueueFds);
    }

    /// <summary>Our NETMAP_REQ_SESSION_REGISTRATION_GET: the session's registration again, for a process that
    /// received the descriptor (SCM_RIGHTS, exec) and must map the region and bind the rings itself.</summary>
    private Errno SessionRegistrationGet(EngineSession session, ref NmReqRegister req, out RegisterResult? result)
    {
        result = null;
        if (session.Registration is not { } reg)
            throw NetmapException.Create(session.Peer, "SESSION_REGISTRATION_GET", Errno.ENXIO, "the descriptor is not registered");
        req = reg.Written;
        result = MakeResult(session, reg);
        return Errno.None;
    }

    /// <summary>
    /// Our NETMAP_REQ_SESSION_SYNC: the session's syncs or one poll() round, run here on the engine's mapping with the
    /// registration's own token, exactly as the client would run them (<see cref="PortBinding"/>). ENXIO when not
    /// registered, as NIOCTXSYNC; a ring that needed a reinit reports POLLERR (Check, Arm) and does not fail a sync.
    /// </summary>
    private Errno SessionSync(EngineSession session, ref NmReqSessionSync req)
    {
        if (session.Registration is not { } reg)
            throw NetmapException.Create(session.Peer, "SESSION_SYNC", Errno.ENXIO, "the descriptor is not registered");
        if (session.SyncBinding is null)
        {
            var r = MakeResult(session, reg);
            session.SyncBinding = new PortBinding(r.Region.Mapping, r.Region.MemSize, reg.NifpOffset, r.KickWaitFd, r.PeerSignalFd,
                r.BackendFds ?? [], reg.Token, (reg.Flags & RegisterFlags.NoTxPoll) == 0, r.LocalAdapter, TimeSpan.Zero, reg.Adapter.Name);
        }
        var b = session.SyncBinding;
        var events = (PortEvents)(req.Events & (ushort)(PortEvents.In | PortEvents.Out));
        uint flags = req.Flags;
        var ready = PortEvents.None;
        if ((flags & NmReqSessionSync.TxSync) != 0) b.TxSync();
        if ((flags & NmReqSessionSync.RxSync) != 0) b.RxSync();
        if ((flags & NmReqSessionSync.Disarm) != 0) b.Arm(events, false);
        if ((flags & NmReqSessionSync.Arm) != 0) ready |= b.PrepareWait(events);
        else if ((flags & NmReqSessionSync.Check) != 0) ready |= b.SyncAndCheck(events);
        req.REvents = (ushort)ready;
        return Errno.None;
    }

    /// <summary>Legacy NIOCREGIF / NIOCGINFO (<see cref="LegacyRequest"/>): converted, processed as a nested request
    /// on the same session, converted back on success.</summary>
    private Errno Legacy(EngineSession session, bool regIf, ref NmReqLegacy legacy, out RegisterResult? result)
    {
        result = null;
        Span<byte> msg = stackalloc byte[LegacyRequest.MaxMessage];
        int len = LegacyRequest.ToRequest(ref legacy, regIf, msg);
        if (len < 0)
        {
            var e = (Errno)(-len);
            throw NetmapException.Create(legacy.GetName(), regIf ? "NIOCREGIF" : "NIOCGINFO", e,
                legacy.Version < NetmapConstants.MinApi ? $"nr_version {legacy.Version} is below {NetmapConstants.MinApi}"
                : e == Errno.ENOMEM ? "ptnetmap is not available" : $"nr_cmd {legacy.Cmd} has no equivalent request");
        }
        var err = Control(session, msg[..len], out result);
        if (err == Errno.None) LegacyRequest.FromReply(msg[..len], ref legacy);
        return err;
    }

    private static void TranslateLegacyRingId(ref RegisterMode mode, ref ushort ringId, ref RegisterFlags flags)
    {
        ushort legacy = ringId;
        if ((legacy & NetmapConstants.HardwareRingBit) != 0) { mode = RegisterMode.OneNic; ringId = (ushort)(legacy & NetmapConstants.RingMask); }
        else if ((legacy & NetmapConstants.SoftwareRingBit) != 0) { mode = RegisterMode.Software; ringId = 0; }
        else { mode = RegisterMode.AllNic; ringId = 0; }
        if ((legacy & NetmapConstants.NoTxPollBit) != 0) flags |= RegisterFlags.NoTxPoll;
    }

    private static bool IsPipeName(string name) => name.IndexOfAny(['{', '}']) >= 0;

    /// <summary>The port a monitor REGISTER names: it must exist and be in netmap mode (EINVAL otherwise, as netmap,
    /// whose lookup would create an ephemeral VALE port or a pipe that then is not in netmap mode).</summary>
    private NetmapAdapter FindMonitoredPort(string name)
    {
        NetmapAdapter? port;
        if (IsPipeName(name))
        {
            int brace = name.IndexOfAny(['{', '}']);
            port = _pipeParents.TryGetValue(name[..brace], out var parent) && parent.TryGet(name[(brace + 1)..], out var pipe)
                ? (name[brace] == '{' ? pipe.Master : pipe.Slave) : null;
        }
        else
        {
            port = _vale.FindPort(name);
            if (port is null && !name.StartsWith(NetmapConstants.BridgeNamePrefix, StringComparison.Ordinal))
            {
                if (_nics.Find(name, _callerPid) is not null || _nics.Exists(name, _callerPid))
                    throw NetmapException.Create(name, "REGISTER", Errno.EOPNOTSUPP, "monitors of Linux interfaces are not available (monitor a VALE port the interface is attached to instead)");
                throw NetmapException.Create(name, "REGISTER", Errno.ENXIO, "no such interface");
            }
        }
        if (port is null || port.Registrations == 0)
            throw NetmapException.Create(name, "REGISTER", Errno.EINVAL, $"{name} is not in netmap mode (open it before its monitor)");
        // A monitor maps the port's region and sees its traffic: it needs the right to use the port.
        port.Access?.Demand(_caller, AccessRight.Use, port.Name, name, "REGISTER");
        return port;
    }

    /// <summary>The adapter named <paramref name="name"/>, created if it does not exist, in netmap's lookup order
    /// after null ports and monitors: pipe, VALE port, OS interface. Throws (named) when there is none.</summary>
    private NetmapAdapter FindOrCreateAdapter(string name, ref NmReqRegister req, string op, NicBackendKind backend = NicBackendKind.Auto,
        AccessRight right = AccessRight.Use)
    {
        if (IsPipeName(name)) return FindOrCreatePipeEnd(name, ref req, right);
        if (name.StartsWith(NetmapConstants.BridgeNamePrefix, StringComparison.Ordinal))
            return _vale.FindOrCreate(name, ref req, op, _caller, right, interfacePort: _internalCaller);
        if (ResolvePersistent(name) is { } persistent)
        {
            persistent.Access!.Demand(_caller, right, name, name, op);
            return persistent;
        }
        if (InterfacePolicy is { } allowed && !allowed(_callerUid))
            throw NetmapException.Create(name, op, Errno.EPERM, $"uid {_callerUid} may not open Linux interfaces through this netmapd (see netmapd --interfaces)");
        return _nics.FindOrCreate(name, _callerPid, backend, req, _caller);
    }

    /// <summary>
    /// The persistent VALE port <paramref name="name"/> names, if it is the one meant: persistent ports are looked up
    /// before interfaces, but a name that is also a Linux interface in the caller's namespace means the interface
    /// unless the caller made the port (netmap's VALE_NEWIF makes a netdev, so there the two cannot share a name).
    /// </summary>
    private ValePort? ResolvePersistent(string name)
    {
        var p = _vale.FindPersistent(name);
        if (p is null || p.Access!.Uid == _caller.Uid || !_nics.InterfaceExists(name, _callerPid)) return p;
        Log?.Invoke($"{name}: uid {_caller.Uid} means the Linux interface, not the persistent VALE port of uid {p.Access.Uid}");
        return null;
    }

    /// <summary>"valeX:IF" where IF is a Linux interface is not a port a client may open: EBUSY while IF is attached
    /// (the switch drives that port), EINVAL otherwise (netmap: only ATTACH/DETACH/POLLING take such names).</summary>
    private void RefuseInterfacePortName(string name)
    {
        if (_attached.ContainsKey(name))
            throw NetmapException.Create(name, "NIOCCTRL REGISTER", Errno.EBUSY, "the port of an attached interface is driven by the switch");
        int colon = name.IndexOf(':');
        if (colon < 0 || _vale.FindPort(name) is not null) return;
        string port = name[(colon + 1)..];
        if (ResolvePersistent(port) is null && _nics.InterfaceExists(port, _callerPid))
            throw NetmapException.Create(name, "NIOCCTRL REGISTER", Errno.EINVAL, $"{port} is a Linux interface: attach it to the switch (vale-ctl -a {name})");
    }

    /// <summary>The backend named by our NETMAP_REQ_OPT_IF_BACKEND option, marking the option consumed.</summary>
    private NicBackendKind RequestedBackend(Span<byte> msg)
    {
        var backend = NicBackendKind.Auto;
        foreach (var off in _optionScratch)
        {
            ref var o = ref RequestMessage.At<NmReqOption>(msg, off);
            if (o.Type != OptionType.InterfaceBackend) continue;
            uint b = RequestMessage.At<NmReqOptInterfaceBackend>(msg, off).Backend;
            if (b > (uint)NicBackendKind.Packet) { o.Status = (uint)Errno.EINVAL; throw new NetmapException(Errno.EINVAL, $"option if_backend: unknown backend {b}"); }
            o.Status = 0;
            backend = (NicBackendKind)b;
        }
        return backend;
    }

    /// <summary>The mode named by our NETMAP_REQ_OPT_ACCESS option, which the requests that create objects consume
    /// (REGISTER, VALE_NEWIF, VALE_ATTACH; on others it stays unconsumed and fails the request). EINVAL above 0777.</summary>
    private Errno RequestedMode(Span<byte> msg, RequestType type, out uint? mode)
    {
        mode = null;
        if (type is not (RequestType.Register or RequestType.ValeNewInterface or RequestType.ValeAttach)) return Errno.None;
        foreach (var off in _optionScratch)
        {
            ref var o = ref RequestMessage.At<NmReqOption>(msg, off);
            if (o.Type != OptionType.Access) continue;
            uint m = RequestMessage.At<NmReqOptAccess>(msg, off).Mode;
            if (m > ObjectAccess.MaxMode) { o.Status = (uint)Errno.EINVAL; return Errno.EINVAL; }
            o.Status = 0;
            mode = m;
        }
        return Errno.None;
    }

    private PipeEnd FindOrCreatePipeEnd(string name, ref NmReqRegister req, AccessRight right)
    {
        int brace = name.IndexOfAny(['{', '}']);
        string parentName = name[..brace], id = name[(brace + 1)..];
        bool master = name[brace] == '{';
        if (parentName.Length == 0 || id.Length == 0 || id.IndexOfAny(['{', '}']) >= 0 || !IsNameText(parentName) || !IsNameText(id))
            throw NetmapException.Create(name, "REGISTER", Errno.EINVAL, "a pipe name is PARENT{ID or PARENT}ID");
        if (parentName.StartsWith(NetmapConstants.BridgeNamePrefix, StringComparison.Ordinal))
            throw NetmapException.Create(name, "REGISTER", Errno.EOPNOTSUPP, "pipes on VALE ports are not available in this build");

        // Counts as the master sees them.
        ushort txr = master ? req.TxRings : req.RxRings, rxr = master ? req.RxRings : req.TxRings;
        uint txs = master ? req.TxSlots : req.RxSlots, rxs = master ? req.RxSlots : req.TxSlots;
        if (txr > NetmapConstants.PipeMaxRings || rxr > NetmapConstants.PipeMaxRings)
            throw NetmapException.Create(name, "REGISTER", Errno.EINVAL, $"at most {NetmapConstants.PipeMaxRings} rings per pipe direction");
        if (txs > NetmapConstants.PipeMaxSlots || rxs > NetmapConstants.PipeMaxSlots)
            throw NetmapException.Create(name, "REGISTER", Errno.EINVAL, $"at most {NetmapConstants.PipeMaxSlots} slots per pipe ring");
        if (txr == 0) txr = 1;
        if (rxr == 0) rxr = 1;
        // A one-slot ring holds nothing (capacity num_slots - 1) and the client refuses it: 1 becomes 2, as for monitors.
        if (txs == 1) txs = 2;
        if (rxs == 1) rxs = 2;

        if (!_pipeParents.TryGetValue(parentName, out var parent))
        {
            MemoryRegion region;
            if (req.MemId != 0)
            {
                if (!_allocators.TryGet(req.MemId, out region))
                    throw NetmapException.Create(name, "REGISTER", Errno.EINVAL, $"mem_id {req.MemId} does not exist");
                region.Access.Demand(_caller, AccessRight.Use, $"mem_id {req.MemId}", name, "REGISTER");
            }
            else if (_vale.FindPersistent(parentName) is { } persistent)
            {
                // netmap: a pipe lives in its parent's allocator; a persistent VALE port (VALE_NEWIF, possibly in a
                // given mem_id, as lb makes its output pipes' parent in its input's region) is such a parent.
                persistent.Access!.Demand(_caller, AccessRight.Use, parentName, name, "REGISTER");
                region = persistent.Region;
            }
            else
            {
                uint slots = Math.Max(NetmapConstants.BridgeRingSize, Math.Max(txs, rxs));
                uint rings = Math.Max(txr, rxr) + 1u;
                var p = AllocatorParameters.ForPrivatePort(rings, slots, rings, slots, req.ExtraBufs, 2);
                // A pipe takes four ring objects per ring pair (TX and RX of both ends): make room for this one's.
                p = p with { RingNum = Math.Min(1024u, Math.Max(p.RingNum, 2u * ((uint)txr + rxr) + 8 * 2)) };
                region = _allocators.CreatePrivate(p, _caller, name);
            }
            parent = new PipeParent(parentName, region, NetmapConstants.BridgeRingSize, _caller.NewObject(), RemovePipeParent);
            _pipeParents.Add(parentName, parent);
        }
        else if (req.MemId != 0 && req.MemId != parent.Region.MemId)
        {
            throw NetmapException.Create(name, "REGISTER", Errno.EINVAL, $"pipe parent {parentName} lives in mem_id {parent.Region.MemId}, not {req.MemId}");
        }

        if (parent.TryGet(id, out var pipe))
        {
            pipe.Access.Demand(_caller, right, $"pipe {parentName}{{{id}", name, "REGISTER");
        }
        else
        {
            // Its rings and buffers would be in the parent's region, next to the other pipes'.
            parent.Access.Demand(_caller, AccessRight.Use, $"pipe parent {parentName}", name, "REGISTER");
            if (parent.Count >= NetmapConstants.MaxPipes)
                throw NetmapException.Create(name, "REGISTER", Errno.ENOMEM, $"parent {parentName} already has {NetmapConstants.MaxPipes} pipes");
            var charge = _allocators.Quota.Open(_callerUid);
            try
            {
                charge.Add(ResourceKind.Pipes, 1, name, "REGISTER").Add(ResourceKind.Descriptors, 4, name, "REGISTER");
                pipe = NetmapPipe.Create(parent, id, txr, rxr, txs == 0 ? parent.DefaultSlots : txs, rxs == 0 ? parent.DefaultSlots : rxs);
            }
            catch
            {
                charge.Dispose();
                if (parent.Count == 0) RemovePipeParent(parent);
                throw;
            }
            pipe.Charge = charge;
            pipe.Access = _caller.NewObject();
            parent.Add(pipe);
        }
        return master ? pipe.Master : pipe.Slave;
    }

    private void RemovePipeParent(PipeParent parent)
    {
        _pipeParents.Remove(parent.Name);
        _allocators.Release(parent.Region);
    }

    private static bool IsNameText(string s)
    {
        foreach (char c in s)
            if (!(char.IsAsciiLetterOrDigit(c) || c == '_' || c == '.')) return false;
        return true;
    }

    private Registration Bind(NetmapAdapter a, string name, RegisterMode mode, ushort ringId, RegisterFlags flags, ref NmReqRegister req)
    {
        int ntx = a.TxRings.Length, nrx = a.RxRings.Length;
        int nhtx = a.HostTx.Length, nhrx = a.HostRx.Length;
        // Ring ranges in netmap_if order: hardware rings [0, n), then host rings [n, n + nh).
        int tx0, tx1, rx0, rx1;
        switch (mode)
        {
            case RegisterMode.AllNic:
            case RegisterMode.Null:
                tx0 = 0; tx1 = ntx; rx0 = 0; rx1 = nrx; break;
            case RegisterMode.OneNic:
                if (ringId >= ntx && ringId >= nrx)
                    throw NetmapException.Create(name, "REGISTER", Errno.EINVAL, $"ring {ringId} does not exist ({ntx} tx, {nrx} rx rings)");
                tx0 = ringId < ntx ? ringId : 0; tx1 = Math.Min(tx0 + 1, ntx);
                rx0 = ringId < nrx ? ringId : 0; rx1 = Math.Min(rx0 + 1, nrx);
                break;
            case RegisterMode.Software or RegisterMode.NicAndSoftware or RegisterMode.OneSoftware when nhtx == 0 && nhrx == 0:
                throw NetmapException.Create(name, "REGISTER", Errno.EINVAL, $"{a.Name} has no host rings");
            case RegisterMode.Software:
                tx0 = ntx; tx1 = ntx + nhtx; rx0 = nrx; rx1 = nrx + nhrx; break;
            case RegisterMode.NicAndSoftware:
                tx0 = 0; tx1 = ntx + nhtx; rx0 = 0; rx1 = nrx + nhrx; break;
            case RegisterMode.OneSoftware:
                if (ringId >= nhtx && ringId >= nhrx)
                    throw NetmapException.Create(name, "REGISTER", Errno.EINVAL, $"host ring {ringId} does not exist ({nhtx} tx, {nhrx} rx host rings)");
                tx0 = ntx + (ringId < nhtx ? ringId : 0); tx1 = Math.Min(tx0 + 1, ntx + nhtx);
                rx0 = nrx + (ringId < nhrx ? ringId : 0); rx1 = Math.Min(rx0 + 1, nrx + nhrx);
                break;
            default:
                throw NetmapException.Create(name, "REGISTER", Errno.EINVAL, $"mode {mode} is not valid here");
        }
        if ((flags & RegisterFlags.RxRingsOnly) != 0) tx1 = tx0;
        if ((flags & RegisterFlags.TxRingsOnly) != 0) rx1 = rx0;
        bool exclusive = (flags & RegisterFlags.Exclusive) != 0;
        for (int i = tx0; i < tx1; i++) CheckBindable(a, name, "tx", i, a.TxUsers[i], a.TxExclusive[i], exclusive);
        for (int i = rx0; i < rx1; i++) CheckBindable(a, name, "rx", i, a.RxUsers[i], a.RxExclusive[i], exclusive);

        var region = a.Region;
        int nOfs = ntx + Math.Max(1, nhtx) + nrx + Math.Max(1, nhrx); // ni_host_*_rings = max(1, host rings), as netmap
        if (NetmapIfHeader.ObjectSize(nOfs) > region.Interfaces.Geometry.ObjSize)
            throw NetmapException.Create(name, "REGISTER", Errno.ENOMEM, $"netmap_if with {nOfs} rings does not fit mem_id {region.MemId}");
        if (!region.Interfaces.TryAllocate(out uint ifIndex))
            throw NetmapException.Create(name, "REGISTER", Errno.ENOMEM, $"interface pool of mem_id {region.MemId} is exhausted");
        long nifp = region.Interfaces.ObjectOffset(ifIndex);
        var mem = region.Mapping;
        mem.Span(nifp, NetmapIfHeader.ObjectSize(nOfs)).Clear();
        ref var ni = ref mem.Ref<NetmapIfHeader>(nifp);
        Span<byte> nameBytes = ni.Name;
        byte[] encoded = Encoding.UTF8.GetBytes(a.Name); // cut to 15 bytes, as netmap does (encoding into 16 would throw for longer names)
        int len = Math.Min(encoded.Length, NetmapConstants.InterfaceNameSize - 1);
        encoded.AsSpan(0, len).CopyTo(nameBytes);
        nameBytes[len..].Clear();
        ni.Flags = region.IsGlobal ? InterfaceFlags.None : InterfaceFlags.PrivateMemory;
        ni.TxRings = (uint)ntx; ni.RxRings = (uint)nrx;
        ni.HostTxRings = Math.Max(1u, a.HostTxRings); ni.HostRxRings = Math.Max(1u, a.HostRxRings);
        var ofs = mem.Span<long>(nifp + NetmapIfHeader.OffsetOfRingOfs, nOfs);
        for (int i = tx0; i < tx1; i++) ofs[i] = a.TxRingAt(i).Offset - nifp;
        for (int i = rx0; i < rx1; i++) ofs[ntx + (int)ni.HostTxRings + i] = a.RxRingAt(i).Offset - nifp; // host RX rings follow the hardware ones

        uint token = _nextToken++;
        if (_nextToken == 0) _nextToken = 1;

        // Extra buffers: a list threaded through the buffers' first word, head in ni_bufs_head. The ledger records
        // them as this registration's; the list is only where the user keeps them (and may trade them with slots).
        // The list is threaded outside the engine lock once the request is done (BuildOutsideLock): ni_bufs_head stays 0
        // until then (the client sees the reply only after).
        uint want = req.ExtraBufs, got = 0;
        BufferOwner? extra = null;
        ResourceCharge? extraCharge = null;
        uint[]? pending = null;
        if (want > 0)
        {
            extra = region.Ledger.CreateOwner($"{a.Name} registration {token} extra buffers");
            var bufs = new uint[Math.Min(want, (uint)Math.Min(region.Ledger.Free, int.MaxValue))];
            got = (uint)region.Ledger.AllocateUpTo(extra, bufs);
            extraCharge = _allocators.Quota.Open(_callerUid);
            extraCharge.Add(ResourceKind.ExtraBuffers, got, name, "REGISTER"); // within what Register granted
            pending = got == bufs.Length ? bufs : bufs[..(int)got];
        }
        ni.BufsHead = 0;
        for (int i = tx0; i < tx1; i++) { a.TxUsers[i]++; if (exclusive) a.TxExclusive[i] = token; }
        for (int i = rx0; i < rx1; i++) { a.RxUsers[i]++; if (exclusive) a.RxExclusive[i] = token; }
        a.Registrations++;

        req.Offset = (ulong)nifp;
        req.MemSize = (ulong)region.MemSize;
        req.TxRings = (ushort)ntx; req.RxRings = (ushort)nrx;
        req.TxSlots = a.TxSlots; req.RxSlots = a.RxSlots;
        req.HostTxRings = a.HostTxRings; req.HostRxRings = a.HostRxRings;
        req.MemId = region.MemId;
        req.ExtraBufs = got;
        return new Registration
        {
            Adapter = a, Token = token, IfIndex = ifIndex, NifpOffset = nifp,
            TxFirst = tx0, TxLast = tx1, RxFirst = rx0, RxLast = rx1, Exclusive = exclusive, Flags = flags, ExtraBuffers = extra,
            ExtraCharge = extraCharge, PendingExtra = pending,
        };
    }

    private static void CheckBindable(NetmapAdapter a, string name, string dir, int ring, int users, uint exclusiveHolder, bool wantExclusive)
    {
        if (exclusiveHolder != 0)
            throw NetmapException.Create(name, "NIOCCTRL REGISTER", Errno.EBUSY, $"{dir} ring {ring} is held exclusively");
        if (wantExclusive && users > 0)
            throw NetmapException.Create(name, "NIOCCTRL REGISTER", Errno.EBUSY, $"{dir} ring {ring} already has {users} user(s), cannot bind it exclusively");
    }

    private void Unregister(EngineSession session)
    {
        var reg = session.Registration;
        if (reg is null) return;
        session.Registration = null;
        reg.PendingExtra = null; // refused after all (an option nobody consumed): the list is never built
        session.SyncBinding?.Dispose();
        session.SyncBinding = null;
        RegistrationCount--;
        var a = reg.Adapter;
        var region = a.Region;

        // Extra buffers: the ledger knows which are this registration's; the list in ni_bufs_head is only a hint of
        // where the user keeps them (those now in a live ring or list move to its owner, the rest are freed).
        if (reg.ExtraBuffers is { } extra)
        {
            var (moved, freed) = region.Ledger.Retire(extra);
            if (moved > 0) Log?.Invoke($"{a.Name}: {moved} extra buffer(s) stay with the rings that hold them, {freed} freed");
        }
        reg.ExtraCharge?.Dispose();
        region.Interfaces.Release(reg.IfIndex);

        for (int i = reg.TxFirst; i < reg.TxLast; i++)
        {
            a.TxUsers[i]--;
            if (a.TxExclusive[i] == reg.Token) a.TxExclusive[i] = 0;
        }
        for (int i = reg.RxFirst; i < reg.RxLast; i++)
        {
            a.RxUsers[i]--;
            if (a.RxExclusive[i] == reg.Token) a.RxExclusive[i] = 0;
        }
        // A holder that died inside a sync leaves its lock behind: free it.
        foreach (var r in a.TxRings.Concat(a.HostTx)) RingFactory.ReleaseLock(region, r, reg.Token);
        foreach (var r in a.RxRings.Concat(a.HostRx)) RingFactory.ReleaseLock(region, r, reg.Token);
        if (a is PipeEnd pe)
        {
            foreach (var r in pe.Peer.TxRings) RingFactory.ReleaseLock(region, r, reg.Token);
            foreach (var r in pe.Peer.RxRings) RingFactory.ReleaseLock(region, r, reg.Token);
        }
        _monitors.ReleaseLocks(a, reg.Token);
        a.Registrations--;
        if (a.Registrations == 0)
        {
            if (a is PipeEnd leaving && leaving.Peer.Registrations > 0)
                leaving.AnnouncePresence(session.Abandoned ? KringState.PeerDied : KringState.PeerClosed, session.PeerPid);
            _monitors.OnPortUnused(a); // the port leaves netmap mode: its monitors are orphaned first
            a.OnUnused();
        }
    }

    // ---------------------------------------------------------------- info requests

    private Errno PortInfoGet(string name, ref NmReqPortInfoGet info)
    {
        if (name.Length == 0)
        {
            // An allocator: answered from its parameters, without making the global one (343 MB) just to describe it.
            ushort id = info.MemId == 0 ? NetmapConstants.GlobalMemId : info.MemId;
            if (id == NetmapConstants.GlobalMemId && _allocators.GlobalIfCreated is null)
            {
                var (memSize, _) = MemoryRegion.Measure(_allocators.GlobalParameters, isGlobal: true, $"mem_id {id}");
                info = new NmReqPortInfoGet { MemSize = (ulong)memSize, MemId = id };
                return Errno.None;
            }
            if (!_allocators.TryGet(id, out var r)) return Errno.EINVAL;
            r.Access.Demand(_caller, AccessRight.See, $"mem_id {id}", $"mem_id {id}", "PORT_INFO_GET");
            info = new NmReqPortInfoGet { MemSize = (ulong)r.MemSize, MemId = r.MemId };
            return Errno.None;
        }
        var e = WithAdapter(name, info.MemId, a => new NmReqPortInfoGet
        {
            MemSize = (ulong)a.Region.MemSize, MemId = a.Region.MemId,
            TxSlots = a.TxSlots, RxSlots = a.RxSlots,
            TxRings = (ushort)a.TxRings.Length, RxRings = (ushort)a.RxRings.Length,
            HostTxRings = a.HostTxRings, HostRxRings = a.HostRxRings,
        }, out var value);
        if (e == Errno.None) info = value;
        return e;
    }

    private Errno PoolsInfoGet(string name, ref NmReqPoolsInfo info)
    {
        if (name.Length == 0) return Errno.EINVAL;
        var e = WithAdapter(name, info.MemId, a => a.Region.PoolsInfo(), out var value);
        if (e == Errno.None) info = value;
        return e;
    }

    private Errno PortHeaderGet(string name, ref NmReqPortHeader hdr)
    {
        if (name.Length == 0) return Errno.EINVAL;
        var e = WithAdapter(name, 0, a => new NmReqPortHeader { HeaderLength = (uint)((a as ValePort)?.VirtioHeaderLength ?? 0) }, out var value);
        if (e == Errno.None) hdr = value;
        return e;
    }

    /// <summary>Only VALE ports carry a virtio-net header (0, 10 or 12 bytes); the port must exist.</summary>
    private Errno PortHeaderSet(string name, in NmReqPortHeader hdr)
    {
        const string op = "PORT_HDR_SET";
        if (name.Length == 0) return Errno.EINVAL;
        var port = _vale.FindPort(name);
        if (port is null)
        {
            if (name.StartsWith(NetmapConstants.BridgeNamePrefix, StringComparison.Ordinal))
                throw NetmapException.Create(name, op, Errno.ENXIO, "no such VALE port (open it first)");
            throw NetmapException.Create(name, op, Errno.EINVAL, "only VALE ports have a virtio-net header");
        }
        port.Access!.Demand(_caller, AccessRight.Use, name, name, op);
        if (hdr.HeaderLength is not (0 or 10 or 12))
            throw NetmapException.Create(name, op, Errno.EINVAL, $"header length {hdr.HeaderLength} (0, 10 or 12)");
        port.VirtioHeaderLength = (int)hdr.HeaderLength;
        return Errno.None;
    }

    // ---------------------------------------------------------------- VALE requests

    private Errno ValeAttach(Span<byte> msg, string name, ref NmReqValeAttach req)
    {
        const string op = "VALE_ATTACH";
        var (swName, ifName) = ValeSystem.SplitName(name, op);
        var backend = RequestedBackend(msg);
        if (ResolvePersistent(ifName) is not null || !_nics.InterfaceExists(ifName, _callerPid))
        {
            req.PortIndex = _vale.Attach(name, ref req, _caller);
            return Errno.None;
        }
        // The interface's port joins the switch: the caller must be allowed to add ports to it.
        _vale.FindSwitch(swName)?.Access.Demand(_caller, AccessRight.Use, $"switch {swName}", name, op);
        var mode = req.Register.Mode;
        if (mode is not (RegisterMode.AllNic or RegisterMode.NicAndSoftware) || req.Register.RingId != 0)
            throw NetmapException.Create(name, op, Errno.EINVAL, "attach needs nr_mode NR_REG_ALL_NIC or NR_REG_NIC_SW and nr_ringid 0");
        if (mode == RegisterMode.NicAndSoftware)
            throw NetmapException.Create(name, op, Errno.EOPNOTSUPP, $"attaching the host stack with the interface (-h) is not available; attach {ifName} (-a) and bridge netmap:{ifName}^ to a VALE port (bin/bridge)");
        if (_attached.ContainsKey(name))
            throw NetmapException.Create(name, op, Errno.EBUSY, $"{ifName} is already attached to {swName}");
        if (_nics.Find(ifName, _callerPid) is { } open)
            throw NetmapException.Create(name, op, Errno.EBUSY, open.AttachedTo is { } other ? $"{ifName} is attached to {other}" : $"{ifName} is in use by netmap clients");
        if (InterfaceBridges.Factory is not { } factory)
            throw NetmapException.Create(name, op, Errno.EOPNOTSUPP, "this engine has no interface bridge");
        var bridge = factory(this, name, ifName, backend, _callerPid, _callerUid);
        var nic = _nics.Find(ifName, _callerPid);
        var port = _vale.FindPort(name);
        if (nic is null || port is null)
        {
            bridge.Dispose();
            throw NetmapException.Create(name, op, Errno.EIO, "the bridge did not open both ports");
        }
        nic.AttachedTo = swName;
        _attached.Add(name, bridge);
        req.PortIndex = port.PortIndex;
        Log?.Invoke($"{name}: {ifName} attached to {swName} (port {port.PortIndex}, {nic.Attachment.Description})");
        return Errno.None;
    }

    private Errno ValeDetach(string name, ref NmReqValeDetach req)
    {
        if (_attached.TryGetValue(name, out var bridge))
        {
            // The interface's port was made by (and belongs to) whoever attached it.
            _vale.FindPort(name)?.Access?.Demand(_caller, AccessRight.Use, name, name, "VALE_DETACH");
            if (bridge.Polling)
                throw NetmapException.Create(name, "VALE_DETACH", Errno.EBUSY, "polling is enabled (VALE_POLLING_DISABLE first)");
            req.PortIndex = _vale.FindPort(name)?.PortIndex ?? NetmapConstants.BridgeNoPort;
            _attached.Remove(name);
            bridge.Dispose();
            Log?.Invoke($"{name}: detached");
            return Errno.None;
        }
        req.PortIndex = _vale.Detach(name, _caller);
        return Errno.None;
    }

    private Errno ValeList(ref NmReqHeader h, string name, ref NmReqValeList req)
    {
        if (name.Length > 0) { _vale.List(name, ref req, _caller); return Errno.None; }
        string found = _vale.ListNext(ref req, _caller);
        h.TrySetName(found);
        return Errno.None;
    }

    private Errno ValeNewInterface(string name, ref NmReqValeNewInterface req)
    {
        if (name.Length == 0) return Errno.EINVAL;
        // netmap's VALE_NEWIF makes a netdev: the name of an existing interface is taken.
        if (!name.StartsWith(NetmapConstants.BridgeNamePrefix, StringComparison.Ordinal) && _nics.InterfaceExists(name, _callerPid))
            throw NetmapException.Create(name, "VALE_NEWIF", Errno.EEXIST, "a Linux interface of that name exists in the caller's network namespace");
        _vale.NewInterface(name, ref req, _caller);
        return Errno.None;
    }

    private Errno ValeDeleteInterface(string name)
    {
        if (name.Length == 0) return Errno.EINVAL;
        _vale.DeleteInterface(name, _caller);
        return Errno.None;
    }

    /// <summary>
    /// VALE_POLLING_ENABLE/DISABLE on an attached interface ("vale0:veth0"): its bridge thread busy-polls on
    /// nr_first_cpu_id instead of sleeping. netmap's rules: single-CPU mode needs exactly one CPU, multi-CPU mode
    /// first + count within the interface's rings; the CPUs must exist; EFAULT when already on / not on. One thread
    /// serves all rings of an interface here (multi-CPU mode is accepted and uses its first CPU).
    /// </summary>
    private Errno ValePolling(string name, RequestType type, in NmReqValePolling req)
    {
        bool enable = type == RequestType.ValePollingEnable;
        string op = enable ? "VALE_POLLING_ENABLE" : "VALE_POLLING_DISABLE";
        if (name.Length == 0) return Errno.EINVAL;
        if (!_attached.TryGetValue(name, out var bridge))
        {
            if (_vale.FindPort(name) is null)
                throw NetmapException.Create(name, op, Errno.ENXIO, "no such port");
            throw NetmapException.Create(name, op, Errno.EOPNOTSUPP, "polling is for attached Linux interfaces; VALE ports are forwarded by the switch itself");
        }
        _vale.FindPort(name)?.Access?.Demand(_caller, AccessRight.Use, name, name, op);
        if (!enable)
        {
            if (!bridge.Polling) throw NetmapException.Create(name, op, Errno.EFAULT, "polling is not enabled");
            bridge.StopPolling();
            return Errno.None;
        }
        if (bridge.Polling) throw NetmapException.Create(name, op, Errno.EFAULT, "polling is already enabled");
        int cpus = Environment.ProcessorCount;
        int rings = _vale.FindPort(name)?.RxRings.Length ?? 1;
        switch (req.Mode)
        {
            case NetmapConstants.PollingModeSingleCpu:
                if (req.NumPollingCpus != 1) throw NetmapException.Create(name, op, Errno.EINVAL, "single-CPU polling takes exactly one CPU");
                break;
            case NetmapConstants.PollingModeMultiCpu:
                if (req.NumPollingCpus == 0 || req.NumPollingCpus > rings)
                    throw NetmapException.Create(name, op, Errno.EINVAL, $"multi-CPU polling takes 1..{rings} CPUs (one per ring)");
                break;
            default:
                throw NetmapException.Create(name, op, Errno.EINVAL, $"unknown polling mode {req.Mode}");
        }
        if (req.FirstCpuId >= cpus || req.FirstCpuId + req.NumPollingCpus > cpus)
            throw NetmapException.Create(name, op, Errno.EINVAL, $"CPUs {req.FirstCpuId}..{req.FirstCpuId + req.NumPollingCpus - 1} do not all exist ({cpus} online)");
        bridge.StartPolling((int)req.FirstCpuId);
        return Errno.None;
    }

    private Errno ValePortStats(string name, ref NmReqValePortStats stats)
    {
        var port = _vale.FindPort(name) ?? throw NetmapException.Create(name, "VALE_PORT_STATS", Errno.ENXIO, "no such VALE port");
        port.Access!.Demand(_caller, AccessRight.See, name, name, "VALE_PORT_STATS");
        stats = port.Stats();
        return Errno.None;
    }

    /// <summary>Finds (or creates, as netmap's get_info does) the adapter named <paramref name="name"/>, reads
    /// what <paramref name="read"/> wants, and drops an adapter nobody registered.</summary>
    private Errno WithAdapter<T>(string name, ushort memId, Func<NetmapAdapter, T> read, out T value)
    {
        var req = new NmReqRegister { MemId = memId };
        // An info request never puts a Linux interface into netmap mode (that would take its traffic from the
        // host stack): it describes an interface some client has open, and refuses one nobody has.
        if (!IsPipeName(name) && !name.StartsWith(NetmapConstants.BridgeNamePrefix, StringComparison.Ordinal) && ResolvePersistent(name) is null)
        {
            var nic = _nics.Find(name, _callerPid);
            if (nic is null)
                throw NetmapException.Create(name, "info request", _nics.Exists(name, _callerPid) ? Errno.EOPNOTSUPP : Errno.ENXIO,
                    "a Linux interface is described only while a port has it in netmap mode (open it first)");
            value = read(nic);
            return Errno.None;
        }
        // Describing an existing port needs the right to see it; one made for the answer is the caller's.
        var end = FindOrCreateAdapter(name, ref req, "info request", right: AccessRight.See);
        try
        {
            value = read(end);
            return Errno.None;
        }
        finally
        {
            if (end.Registrations == 0) end.OnUnused();
        }
    }

    /// <summary>Closes every registration and frees every region, adapter and kernel object the engine holds.</summary>
    public void Dispose()
    {
        lock (_lock)
        {
            if (_disposed) return;
            _disposed = true;
            while (_building > 0) Monitor.Wait(_lock); // a list being threaded writes into a region
            foreach (var bridge in _attached.Values) bridge.Dispose();
            _attached.Clear();
            _monitors.Dispose();
            _vale.Dispose();
            _nics.Dispose();
            _allocators.Dispose();
        }
    }
}
