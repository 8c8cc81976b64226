using Netmap.Abi;
using Netmap.Interop;
using Netmap.Memory;
using Netmap.Rings;

namespace Netmap.Adapters.Nic;

/// <summary>
/// A Linux interface (or TAP device) in netmap mode: one TX and one RX ring per kernel queue in a private region,
/// and the <see cref="NicAttachment"/> that connects them to the kernel. Exists while registrations hold it; when
/// the last one goes, the attachment is disposed and the interface returns to the host stack.
/// Control-path members are used under the engine lock.
/// </summary>
internal sealed class NicAdapter : NetmapAdapter
{
    private readonly KickLine _kick;
    private readonly Action<NicAdapter> _onUnused;
    /// <summary>The interface's network namespace, kept open so the host path can be built there later.</summary>
    private readonly int _netnsFd;
    private readonly int _ifIndex;
    private HostRingAttachment? _host;
    /// <summary>Every buffer of the rings (also those the kernel holds in its fill and TX rings at the moment).</summary>
    private readonly BufferOwner _buffers;

    private NicAdapter(string name, ulong netns, int netnsFd, int ifIndex, MemoryRegion region, BufferOwner buffers, RingFactory.CreatedRing[] tx, RingFactory.CreatedRing[] rx,
        RingFactory.CreatedRing[] hostTx, RingFactory.CreatedRing[] hostRx, NicAttachment attachment, KickLine kick, Action<NicAdapter> onUnused)
        : base(name, region, tx, rx, hostTx, hostRx)
    {
        _buffers = buffers;
        Namespace = netns;
        _netnsFd = netnsFd;
        _ifIndex = ifIndex;
        Attachment = attachment;
        _kick = kick;
        _onUnused = onUnused;
    }

    /// <summary>Inode of the network namespace the interface lives in.</summary>
    public ulong Namespace { get; }
    public NicAttachment Attachment { get; }
    /// <summary>Set while a VALE switch owns the interface (vale-ctl -a): other opens get EBUSY.</summary>
    public string? AttachedTo { get; set; }

    /// <summary>Nobody writes it for interfaces: waiters sleep on the kernel descriptors (see <see cref="QueueFds"/>).</summary>
    public override KickLine Kick => _kick;
    public override KickLine? PeerKick => null;

    /// <summary>The descriptor of every queue, in queue order, then the host path's once it exists (what a REGISTER
    /// hands to the client; KringState.BackendQueue indexes it).</summary>
    public int[] QueueFds
    {
        get
        {
            var fds = Enumerable.Range(0, Attachment.QueueCount).Select(Attachment.QueueFd);
            return (_host is null ? fds : fds.Append(_host.Fd)).ToArray();
        }
    }

    /// <summary>Builds the host path (hidden TAP and tc redirects, <see cref="HostRingAttachment"/>) the first time a
    /// registration binds the host rings, in the interface's namespace.</summary>
    public override void PrepareHostRings()
    {
        if (_host is not null) return;
        var tx = HostTx[0];
        var rx = HostRx[0];
        _host = NetNamespace.RunInFd(_netnsFd, Name,
            () => HostRingAttachment.Open(Name, _ifIndex, Attachment, Region, tx, rx, (uint)Attachment.QueueCount));
    }

    /// <summary>
    /// Puts <paramref name="name"/> into netmap mode with <paramref name="backend"/>, in the calling thread's network
    /// namespace. Auto tries AF_XDP then AF_PACKET (the reason AF_XDP failed is logged). Throws a named
    /// NetmapException and leaves nothing behind on failure.
    /// </summary>
    public static NicAdapter Create(string name, ulong netns, NicBackendKind backend, in NmReqRegister req, AllocatorRegistry allocators,
        Action<string>? log, Action<NicAdapter> onUnused, AccessCaller caller)
    {
        if (backend == NicBackendKind.Auto && Tap.TapAttachment.IsExistingTap(name)) backend = NicBackendKind.Tap;
        bool tap = backend == NicBackendKind.Tap;
        int ifIndex = tap ? 0 : LinkInfo.IndexOf(name);
        if (!tap && ifIndex == 0)
            throw NetmapException.Create(name, "REGISTER", Errno.ENXIO, "no such interface in the network namespace of the caller");
        uint txSlots = SlotCount(req.TxSlots, name), rxSlots = SlotCount(req.RxSlots, name);
        int queues = 1;
        if (backend is NicBackendKind.Auto or NicBackendKind.Xdp)
        {
            var (rxq, txq) = LinkInfo.QueueCounts(name);
            queues = Math.Clamp(Math.Min(rxq, txq), 1, NetmapConstants.MaxInterfaceQueues);
        }

        var attempts = backend switch
        {
            NicBackendKind.Auto => new[] { NicBackendKind.Xdp, NicBackendKind.Packet },
            _ => new[] { backend },
        };
        NetmapException? first = null;
        foreach (var kind in attempts)
        {
            int q = kind == NicBackendKind.Xdp ? queues : 1;
            try
            {
                return CreateWith(kind, name, ifIndex, netns, q, txSlots, rxSlots, req.ExtraBufs, allocators, onUnused, caller);
            }
            catch (NetmapException e) when (backend == NicBackendKind.Auto && kind == NicBackendKind.Xdp && e.Errno != Errno.EPERM)
            {
                first = e;
                log?.Invoke($"{name}: AF_XDP unavailable ({e.Message}); using AF_PACKET");
            }
        }
        throw first ?? NetmapException.Create(name, "REGISTER", Errno.ENXIO, "no backend");
    }

    private static uint SlotCount(uint requested, string name)
    {
        if (requested == 0) return NetmapConstants.InterfaceRingSize;
        if (requested < 64 || requested > NetmapConstants.MaxInterfaceSlots)
            throw NetmapException.Create(name, "REGISTER", Errno.EINVAL, $"interface rings take 64..{NetmapConstants.MaxInterfaceSlots} slots, not {requested}");
        return requested;
    }

    /// <summary>Descriptors an interface holds besides its region and queues: kick line, namespace, bpf program, map and
    /// links (an upper bound, for the engine's descriptor limit).</summary>
    public const int BaseDescriptors = 8;

    private static NicAdapter CreateWith(NicBackendKind kind, string name, int ifIndex, ulong netns, int queues, uint txSlots, uint rxSlots,
        uint extraBufs, AllocatorRegistry allocators, Action<NicAdapter> onUnused, AccessCaller caller)
    {
        var (txKind, rxKind) = kind switch
        {
            NicBackendKind.Xdp => (KringKind.XdpTx, KringKind.XdpRx),
            NicBackendKind.Packet => (KringKind.PacketTx, KringKind.PacketRx),
            _ => (KringKind.TapTx, KringKind.TapRx),
        };
        var charge = allocators.Quota.Open(caller.Uid);
        MemoryRegion region;
        try
        {
            charge.Add(ResourceKind.Ports, 1, name, "REGISTER").Add(ResourceKind.Descriptors, BaseDescriptors + 2 * queues, name, "REGISTER");
            region = allocators.CreatePrivate(AllocatorParameters.ForPrivatePort((uint)queues + 1, txSlots, (uint)queues + 1, rxSlots, extraBufs, 0), caller, name);
        }
        catch
        {
            charge.Dispose();
            throw;
        }
        var created = new List<RingFactory.CreatedRing>();
        NicAttachment? attachment = null;
        KickLine? kick = null;
        int netnsFd = -1;
        var buffers = region.Ledger.CreateOwner(name);
        try
        {
            var tx = new RingFactory.CreatedRing[queues];
            var rx = new RingFactory.CreatedRing[queues];
            for (int i = 0; i < queues; i++) created.Add(rx[i] = RingFactory.CreateWithBuffers(region, buffers, rxSlots, false, (ushort)i, rxKind, name));
            for (int i = 0; i < queues; i++) created.Add(tx[i] = RingFactory.CreateWithBuffers(region, buffers, txSlots, true, (ushort)i, txKind, name));
            // One host ring each way (netmap's default), served by a TapQueue once a registration binds them.
            RingFactory.CreatedRing[] hostTx = [], hostRx = [];
            if (kind != NicBackendKind.Tap)
            {
                created.Add((hostRx = [RingFactory.CreateWithBuffers(region, buffers, rxSlots, false, (ushort)queues, KringKind.TapRx, name)])[0]);
                created.Add((hostTx = [RingFactory.CreateWithBuffers(region, buffers, txSlots, true, (ushort)queues, KringKind.TapTx, name)])[0]);
            }
            attachment = kind switch
            {
                NicBackendKind.Xdp => Xdp.XdpAttachment.Open(name, ifIndex, region, tx, rx),
                NicBackendKind.Packet => Packet.PacketAttachment.Open(name, ifIndex, region, tx, rx),
                _ => Tap.TapAttachment.Open(name, region, tx, rx),
            };
            kick = KickLine.Create(name);
            netnsFd = NetNamespace.OpenCurrent(name);
            region.Users++;
            return new NicAdapter(name, netns, netnsFd, ifIndex, region, buffers, tx, rx, hostTx, hostRx, attachment, kick, onUnused) { Charge = charge };
        }
        catch
        {
            if (netnsFd >= 0) Libc.close(netnsFd);
            kick?.Dispose();
            attachment?.Dispose();
            RingFactory.DestroyAll(region, buffers, created);
            allocators.Release(region);
            charge.Dispose();
            throw;
        }
    }

    /// <summary>Gives the interface back to the host stack and frees the rings. The region is released by the caller.</summary>
    public void Destroy()
    {
        _host?.Dispose();
        Attachment.Dispose();
        RingFactory.DestroyAll(Region, _buffers, TxRings.Concat(HostTx).Concat(RxRings).Concat(HostRx));
        _kick.Dispose();
        Libc.close(_netnsFd);
    }

    public override void OnUnused() => _onUnused(this);
}
