using Netmap.Abi;
using Netmap.Interop;
using Netmap.Memory;
using Netmap.Rings;

namespace Netmap.Adapters.Nic.Xdp;

/// <summary>
/// A Linux interface in netmap mode through AF_XDP, owned by the engine:
/// <list type="bullet">
/// <item>an XSKMAP and the <see cref="XdpProgram"/> (every frame to the XSK of its queue, XDP_DROP for queues
/// without one), attached with a bpf_link, native (driver) mode first, generic (skb) mode otherwise, plus the tcx egress
/// half of <see cref="HostStackDivert"/> so the host stack's own transmissions stay off the wire. Closing the
/// link detaches the program, so a crashed engine leaves nothing attached;</item>
/// <item>one XSK per queue. Its UMEM is the region's whole buffer pool (chunk = buffer size, no headroom): UMEM
/// address <c>i * BufferSize</c> is netmap buffer <c>i</c>, so frames never get copied between netmap buffers
/// and kernel chunks. Every socket registers the same memory as a UMEM of its own (no XDP_SHARED_UMEM): queues
/// stay independent (closing one never touches another, each can get zero-copy or copy on its own), at the
/// price of pinning the pool's pages once per queue (no cost with CAP_IPC_LOCK, which the engine has as root);</item>
/// <item>bind asks for XDP_ZEROCOPY, then XDP_COPY (on a fresh socket), always with XDP_USE_NEED_WAKEUP;</item>
/// <item>the fill ring is primed with the buffers of the RX ring's kernel-owned slots [hwtail, hwcur - 1): n - 1
/// buffers at start (see <see cref="XdpQueue"/> for the invariant).</item>
/// </list>
/// The krings of queue q get <c>BackendQueue = q</c>, <c>BackendParam0</c> = RX and fill ring entries,
/// <c>BackendParam1</c> = TX and completion ring entries, <c>BackendParam2</c> = the sxdp_flags the socket was
/// bound with, <c>BackendParam3</c> = the chunk size.
/// netmap brings no interface up: a down interface is refused (ENETDOWN) rather than silently receiving nothing.
/// </summary>
internal sealed class XdpAttachment : NicAttachment
{
    private const int ENETDOWN = 100, EBUSY = 16, EEXIST = 17;
    private const uint MaxRingEntries = 1 << 16;
    private const int BusyRetryMs = 1000;

    private readonly string _name;
    private readonly int[] _sockets;
    private int _linkFd, _progFd, _mapFd;
    private readonly HostStackDivert _divert;

    private XdpAttachment(string name, int mapFd, int progFd, int linkFd, int[] sockets, ushort[] bindFlags, bool native, HostStackDivert divert)
    {
        _divert = divert;
        _name = name; _mapFd = mapFd; _progFd = progFd; _linkFd = linkFd; _sockets = sockets;
        NativeXdp = native;
        int zc = bindFlags.Count(f => (f & XskSocket.BindZeroCopy) != 0);
        ZeroCopy = zc == bindFlags.Length;
        string mode = zc == bindFlags.Length ? "zero-copy" : zc == 0 ? "copy" : $"zero-copy on {zc} of {bindFlags.Length} queues, else copy";
        Description = $"AF_XDP {mode}, {(native ? "native" : "generic")} XDP";
    }

    public override NicBackendKind Kind => NicBackendKind.Xdp;
    public override int QueueCount => _sockets.Length;
    public override int QueueFd(int queue) => _sockets[queue];
    public override string Description { get; }

    /// <summary>True when the program runs in the driver (XDP_FLAGS_DRV_MODE), false for generic (skb) XDP.</summary>
    public bool NativeXdp { get; }

    /// <summary>True when every queue's socket is bound in zero-copy mode.</summary>
    public bool ZeroCopy { get; }

    /// <summary>The kernel's drop counters of queue <paramref name="queue"/> (getsockopt XDP_STATISTICS).</summary>
    public XdpStatistics Statistics(int queue)
    {
        int r = XskSocket.Statistics(_sockets[queue], out var s);
        if (r < 0) throw Fail(_name, "AF_XDP XDP_STATISTICS", -r, $"queue {queue}");
        return s;
    }

    /// <summary>The ring entries used for a netmap ring of <paramref name="slots"/> slots: the next power of two.</summary>
    public static uint RingEntries(uint slots) => System.Numerics.BitOperations.RoundUpToPowerOf2(Math.Max(slots, 2));

    /// <summary>
    /// Puts <paramref name="ifName"/> into netmap mode with one XSK per queue (queue q = txRings[q] and rxRings[q]).
    /// Throws a NetmapException naming the interface and the cause; on failure nothing is left behind (no program
    /// attached, no socket, map or program open).
    /// </summary>
    public static XdpAttachment Open(string ifName, int ifIndex, MemoryRegion region, RingFactory.CreatedRing[] txRings, RingFactory.CreatedRing[] rxRings)
    {
        int queues = rxRings.Length;
        if (queues == 0 || txRings.Length != queues)
            throw NetmapException.Create(ifName, "AF_XDP", Errno.EINVAL, $"{rxRings.Length} RX and {txRings.Length} TX rings: one pair per queue is needed");
        uint chunk = region.Buffers.Geometry.ObjSize;
        if (chunk is not (2048 or 4096))
            throw NetmapException.Create(ifName, "AF_XDP UMEM", Errno.EINVAL, $"buffers of {chunk} bytes: AF_XDP chunks are 2048 or 4096 bytes");
        long umemOffset = region.Buffers.Offset, umemLength = (long)region.Buffers.Geometry.ObjTotal * chunk;
        if (((region.Mapping.BaseAddress + (nint)umemOffset) & (PoolGeometry.PageSize - 1)) != 0)
            throw NetmapException.Create(ifName, "AF_XDP UMEM", Errno.EINVAL, "the buffer pool is not page aligned");
        for (int q = 0; q < queues; q++)
        {
            if (rxRings[q].NumSlots > MaxRingEntries || txRings[q].NumSlots > MaxRingEntries)
                throw NetmapException.Create(ifName, "AF_XDP", Errno.EINVAL, $"rings of more than {MaxRingEntries} slots");
        }
        int flags = LinkInfo.Flags(ifName);
        if (flags < 0) throw NetmapException.Create(ifName, "AF_XDP", Errno.ENXIO, "no such interface in this network namespace");
        if ((flags & LinkInfo.IFF_UP) == 0)
            throw new NetmapException((Errno)ENETDOWN, $"{ifName}: AF_XDP: ENETDOWN, the interface is down (netmap brings no interface up: ip link set {ifName} up)");

        int mapFd = -1, progFd = -1, linkFd = -1;
        HostStackDivert? divert = null;
        var sockets = new List<int>();
        try
        {
            mapFd = Bpf.CreateMap(Bpf.MapTypeXskMap, 4, 4, queues, "netmap_xsks");
            if (mapFd < 0) throw Fail(ifName, "BPF_MAP_CREATE XSKMAP", -mapFd, BpfCause(-mapFd));
            progFd = Bpf.LoadProgram(Bpf.ProgTypeXdp, Bpf.AttachXdp, XdpProgram.Build(mapFd), XdpProgram.Name, out string log);
            if (progFd < 0) throw Fail(ifName, "BPF_PROG_LOAD", -progFd, log.Length > 0 ? $"verifier: {log}" : BpfCause(-progFd));
            bool native = true;
            linkFd = Bpf.CreateLink(progFd, ifIndex, Bpf.AttachXdp, Bpf.XdpFlagsDrvMode);
            if (linkFd < 0)
            {
                int drvErr = -linkFd;
                if (drvErr is EBUSY or EEXIST) throw Fail(ifName, "BPF_LINK_CREATE XDP", EBUSY, LinkCause(EBUSY));
                native = false;
                linkFd = Bpf.CreateLink(progFd, ifIndex, Bpf.AttachXdp, Bpf.XdpFlagsSkbMode);
                if (linkFd < 0)
                {
                    int err = -linkFd is EEXIST ? EBUSY : -linkFd; // EEXIST: a program in the other mode
                    throw Fail(ifName, "BPF_LINK_CREATE XDP", err, $"{LinkCause(err)} (native mode: {SystemError.Name(drvErr)})");
                }
            }

            var bound = new ushort[queues];
            for (int q = 0; q < queues; q++)
            {
                uint rxEntries = RingEntries(rxRings[q].NumSlots), txEntries = RingEntries(txRings[q].NumSlots);
                int fd = OpenSocket(ifName, ifIndex, q, region, rxRings[q], rxEntries, txEntries, chunk, umemOffset, umemLength, out bound[q]);
                sockets.Add(fd);
                int r = Bpf.UpdateElement(mapFd, (uint)q, (uint)fd);
                if (r < 0) throw Fail(ifName, "BPF_MAP_UPDATE_ELEM XSKMAP", -r, $"queue {q}");
                foreach (var ring in new[] { rxRings[q], txRings[q] })
                {
                    ref var ks = ref RingFactory.State(region, ring);
                    ks.BackendQueue = (uint)q;
                    ks.BackendParam0 = rxEntries;
                    ks.BackendParam1 = txEntries;
                    ks.BackendParam2 = bound[q];
                    ks.BackendParam3 = chunk;
                }
            }
            divert = HostStackDivert.Attach(ifName, ifIndex, ingress: false); // the stack's own transmissions stay off the wire
            return new XdpAttachment(ifName, mapFd, progFd, linkFd, sockets.ToArray(), bound, native, divert);
        }
        catch
        {
            divert?.Dispose();
            if (linkFd >= 0) Libc.close(linkFd);
            foreach (int fd in sockets) Libc.close(fd);
            if (mapFd >= 0) Libc.close(mapFd);
            if (progFd >= 0) Libc.close(progFd);
            throw;
        }
    }

    /// <summary>One queue's XSK: zero-copy first, then copy, each attempt on a fresh socket (a failed bind leaves a
    /// socket whose UMEM and rings are set but unusable). EBUSY is retried for up to <see cref="BusyRetryMs"/>: the
    /// kernel frees the queue of a closed XSK asynchronously (after an RCU grace period, from a work item), so a
    /// port closed and reopened at once would otherwise find its own old socket still there. Returns the bound
    /// descriptor and its sxdp_flags.</summary>
    private static int OpenSocket(string ifName, int ifIndex, int queue, MemoryRegion region, RingFactory.CreatedRing rx,
        uint rxEntries, uint txEntries, uint chunk, long umemOffset, long umemLength, out ushort bound)
    {
        long deadline = Environment.TickCount64 + BusyRetryMs;
        while (true)
        {
            bound = XskSocket.BindZeroCopy | XskSocket.BindUseNeedWakeup;
            int fd = TryBind(ifName, ifIndex, queue, region, rx, rxEntries, txEntries, chunk, umemOffset, umemLength, bound);
            if (fd >= 0) return fd;
            int zeroCopyErr = -fd;
            bound = XskSocket.BindCopy | XskSocket.BindUseNeedWakeup;
            fd = TryBind(ifName, ifIndex, queue, region, rx, rxEntries, txEntries, chunk, umemOffset, umemLength, bound);
            if (fd >= 0) return fd;
            if (-fd == EBUSY && Environment.TickCount64 < deadline) { Thread.Sleep(10); continue; }
            throw Fail(ifName, "AF_XDP bind", -fd, $"{BindCause(-fd, queue)} (zero-copy: {SystemError.Name(zeroCopyErr)})");
        }
    }

    /// <summary>A fresh XSK with the UMEM, the rings and a primed fill ring, bound with <paramref name="flags"/>:
    /// the descriptor, or -errno when only the bind failed (the socket is closed). Other failures throw.</summary>
    private static int TryBind(string ifName, int ifIndex, int queue, MemoryRegion region, RingFactory.CreatedRing rx,
        uint rxEntries, uint txEntries, uint chunk, long umemOffset, long umemLength, ushort flags)
    {
        int fd = XskSocket.Create();
        if (fd < 0) throw Fail(ifName, "socket(AF_XDP)", -fd, -fd == 97 ? "the kernel has no AF_XDP (CONFIG_XDP_SOCKETS)" : $"queue {queue}");
        bool keep = false;
        try
        {
            int r = XskSocket.RegisterUmem(fd, region.Mapping, umemOffset, umemLength, chunk);
            if (r < 0) throw Fail(ifName, "AF_XDP XDP_UMEM_REG", -r, UmemCause(-r, umemLength));
            r = SetRings(fd, rxEntries, txEntries);
            if (r < 0) throw Fail(ifName, "AF_XDP ring setup", -r, $"queue {queue}, {rxEntries}/{txEntries} entries");
            PrimeFill(ifName, fd, region, rx, rxEntries, chunk);
            r = XskSocket.Bind(fd, ifIndex, (uint)queue, flags);
            if (r < 0) return r;
            keep = true;
            return fd;
        }
        finally
        {
            if (!keep) Libc.close(fd);
        }
    }

    private static int SetRings(int fd, uint rxEntries, uint txEntries)
    {
        int r = XskSocket.SetRingSize(fd, XskSocket.XDP_UMEM_FILL_RING, rxEntries);
        if (r == 0) r = XskSocket.SetRingSize(fd, XskSocket.XDP_UMEM_COMPLETION_RING, txEntries);
        if (r == 0) r = XskSocket.SetRingSize(fd, XskSocket.XDP_RX_RING, rxEntries);
        if (r == 0) r = XskSocket.SetRingSize(fd, XskSocket.XDP_TX_RING, txEntries);
        return r;
    }

    /// <summary>Lends the buffers of the RX ring's kernel-owned slots [hwtail, hwcur - 1) to the fill ring, in slot order.</summary>
    private static void PrimeFill(string ifName, int fd, MemoryRegion region, RingFactory.CreatedRing rx, uint entries, uint chunk)
    {
        int r = XskSocket.MmapOffsets(fd, out var off);
        if (r < 0) throw Fail(ifName, "AF_XDP XDP_MMAP_OFFSETS", -r, "");
        using var fill = XskRing.Map(fd, XskSocket.PgOffFillRing, off.Fill, entries, sizeof(ulong), ifName, "fill");
        ref var ks = ref RingFactory.State(region, rx);
        var slots = RingFactory.Slots(region, rx);
        uint n = rx.NumSlots, total = region.Buffers.Geometry.ObjTotal;
        uint prod = fill.Producer;
        for (uint i = ks.HwTail, spare = RingMath.Prev(ks.HwCur, n); i != spare; i = RingMath.Next(i, n))
        {
            uint idx = slots[(int)i].BufferIndex;
            if (idx < NetmapConstants.ReservedBuffers || idx >= total)
                throw NetmapException.Create(ifName, "AF_XDP fill", Errno.EINVAL, $"RX slot {i} holds no valid buffer");
            fill.Addr(prod++) = (ulong)idx * chunk;
        }
        Volatile.Write(ref fill.Producer, prod);
    }

    public override void Dispose()
    {
        // The link first: from then on the host stack gets the traffic; then the sockets and the rest.
        if (_linkFd >= 0) { Libc.close(_linkFd); _linkFd = -1; }
        _divert.Dispose();
        for (int q = 0; q < _sockets.Length; q++)
        {
            if (_sockets[q] >= 0) { Libc.close(_sockets[q]); _sockets[q] = -1; }
        }
        if (_mapFd >= 0) { Libc.close(_mapFd); _mapFd = -1; }
        if (_progFd >= 0) { Libc.close(_progFd); _progFd = -1; }
    }

    private static NetmapException Fail(string ifName, string op, int errno, string cause)
        => new((Errno)errno, cause.Length > 0 ? $"{ifName}: {op}: {SystemError.Name(errno)}, {cause}" : $"{ifName}: {op}: {SystemError.Name(errno)}");

    private static string BpfCause(int errno) => errno switch
    {
        1 => "loading XDP programs needs CAP_BPF (or CAP_SYS_ADMIN) and CAP_NET_ADMIN",
        12 => "the kernel refused the memory (memcg or RLIMIT_MEMLOCK)",
        _ => "the kernel refused the object",
    };

    private static string LinkCause(int errno) => errno switch
    {
        16 or 17 => "the interface already has an XDP program (another netmap port or XDP user)",
        1 => "attaching XDP programs needs CAP_NET_ADMIN",
        95 => "the interface supports no XDP",
        19 => "no such interface",
        _ => "the kernel refused to attach the program",
    };

    private static string UmemCause(int errno, long length) => errno switch
    {
        12 or 105 => $"pinning the {length >> 20} MiB buffer pool failed (RLIMIT_MEMLOCK; the engine needs CAP_IPC_LOCK or a larger limit)",
        22 => "the kernel refused the buffer pool as a UMEM (alignment or size)",
        _ => "registering the buffer pool failed",
    };

    private static string BindCause(int errno, int queue) => errno switch
    {
        16 => $"queue {queue} already has an AF_XDP socket",
        22 => $"queue {queue} does not exist or the socket setup was refused",
        19 => "no such interface",
        100 => "the interface is down",
        _ => $"queue {queue}",
    };
}
