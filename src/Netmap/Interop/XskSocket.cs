using System.Runtime.InteropServices;

namespace Netmap.Interop;

/// <summary>
/// The AF_XDP socket calls (no libbpf): create, register a UMEM, size and locate the rings, bind, read the
/// statistics, and the two kicks of the data path. Setup calls return 0 (or a descriptor) on success and -errno
/// on failure; the callers name the interface in their errors. The kicks never block and never throw.
/// </summary>
internal static unsafe partial class XskSocket
{
    public const int AF_XDP = 44, SOL_XDP = 283;
    private const int SOCK_RAW = 3;
    private const int XDP_MMAP_OFFSETS = 1, XDP_UMEM_REG = 4, XDP_STATISTICS = 7, XDP_OPTIONS = 8;

    /// <summary>setsockopt names of the four rings (their entry counts).</summary>
    public const int XDP_RX_RING = 2, XDP_TX_RING = 3, XDP_UMEM_FILL_RING = 5, XDP_UMEM_COMPLETION_RING = 6;

    /// <summary>sockaddr_xdp.sxdp_flags.</summary>
    public const ushort BindSharedUmem = 1, BindCopy = 2, BindZeroCopy = 4, BindUseNeedWakeup = 8;

    /// <summary>xdp_ring.flags: the kernel asks for a syscall to make progress on this ring.</summary>
    public const uint RingNeedWakeup = 1;

    /// <summary>XDP_OPTIONS result: the socket is bound in zero-copy mode.</summary>
    public const uint OptionZeroCopy = 1;

    /// <summary>mmap offsets (XDP_PGOFF_*, XDP_UMEM_PGOFF_*) of the four rings.</summary>
    public const long PgOffRxRing = 0, PgOffTxRing = 0x80000000, PgOffFillRing = 0x100000000, PgOffCompletionRing = 0x180000000;

    private const int MSG_DONTWAIT = 0x40;

    [StructLayout(LayoutKind.Sequential)]
    private struct UmemReg { public ulong Addr, Len; public uint ChunkSize, Headroom, Flags, TxMetadataLen; }

    [StructLayout(LayoutKind.Sequential)]
    private struct SockaddrXdp { public ushort Family, Flags; public uint IfIndex, QueueId, SharedUmemFd; }

    [LibraryImport("libc.so.6", SetLastError = true)] private static partial int setsockopt(int fd, int level, int opt, void* val, uint len);
    [LibraryImport("libc.so.6", SetLastError = true)] private static partial nint sendto(int fd, void* buf, nuint len, int flags, void* addr, uint alen);
    [LibraryImport("libc.so.6", SetLastError = true)] private static partial nint recvfrom(int fd, void* buf, nuint len, int flags, void* addr, uint* alen);

    /// <summary>socket(AF_XDP, SOCK_RAW | SOCK_CLOEXEC): the descriptor or -errno.</summary>
    public static int Create()
    {
        int fd = Libc.socket(AF_XDP, SOCK_RAW | Libc.SOCK_CLOEXEC, 0);
        return fd >= 0 ? fd : -Libc.LastErrno;
    }

    /// <summary>XDP_UMEM_REG of <paramref name="length"/> bytes of <paramref name="mem"/> from <paramref name="offset"/>
    /// (aligned chunks, no headroom). The address must be page aligned and the length a multiple of the chunk size.</summary>
    public static int RegisterUmem(int fd, MappedMemory mem, long offset, long length, uint chunkSize)
    {
        if (!mem.Contains(offset, length)) return -(int)Errno.EINVAL;
        var reg = new UmemReg { Addr = (ulong)(mem.BaseAddress + (nint)offset), Len = (ulong)length, ChunkSize = chunkSize };
        return SetOpt(fd, XDP_UMEM_REG, &reg, (uint)sizeof(UmemReg));
    }

    /// <summary>Sets the entry count of ring <paramref name="ringOption"/> (one of the XDP_*_RING names; a power of two).</summary>
    public static int SetRingSize(int fd, int ringOption, uint entries) => SetOpt(fd, ringOption, &entries, 4);

    /// <summary>getsockopt XDP_MMAP_OFFSETS. Fails (ENOPROTOOPT...) on a descriptor that is not an XSK.</summary>
    public static int MmapOffsets(int fd, out XskMmapOffsets offsets)
    {
        XskMmapOffsets o = default;
        uint len = (uint)sizeof(XskMmapOffsets);
        int r = Libc.getsockopt(fd, SOL_XDP, XDP_MMAP_OFFSETS, &o, &len);
        offsets = o;
        if (r != 0) return -Libc.LastErrno;
        return len == (uint)sizeof(XskMmapOffsets) ? 0 : -(int)Errno.EPROTO; // pre-5.4 layout without flags
    }

    /// <summary>bind(sockaddr_xdp{ifindex, queue, flags}).</summary>
    public static int Bind(int fd, int ifIndex, uint queue, ushort flags)
    {
        var sa = new SockaddrXdp { Family = AF_XDP, Flags = flags, IfIndex = (uint)ifIndex, QueueId = queue };
        return Libc.bind(fd, &sa, (uint)sizeof(SockaddrXdp)) == 0 ? 0 : -Libc.LastErrno;
    }

    /// <summary>getsockopt XDP_OPTIONS: <see cref="OptionZeroCopy"/> when the bound socket runs in zero-copy mode.</summary>
    public static int Options(int fd, out uint options)
    {
        uint o = 0, len = 4;
        int r = Libc.getsockopt(fd, SOL_XDP, XDP_OPTIONS, &o, &len);
        options = o;
        return r == 0 ? 0 : -Libc.LastErrno;
    }

    /// <summary>getsockopt XDP_STATISTICS.</summary>
    public static int Statistics(int fd, out XdpStatistics stats)
    {
        XdpStatistics s = default;
        uint len = (uint)sizeof(XdpStatistics);
        int r = Libc.getsockopt(fd, SOL_XDP, XDP_STATISTICS, &s, &len);
        stats = s;
        return r == 0 ? 0 : -Libc.LastErrno;
    }

    /// <summary>TX kick: sendto(NULL, 0, MSG_DONTWAIT). 0, or -errno (EAGAIN: the kernel stopped at its batch limit
    /// or the queue is busy; EBUSY/ENOBUFS: try again later). Never blocks.</summary>
    public static int KickTx(int fd)
    {
        nint r = sendto(fd, null, 0, MSG_DONTWAIT, null, 0);
        return r >= 0 ? 0 : -Marshal.GetLastPInvokeError();
    }

    /// <summary>RX kick (fill ring need_wakeup): recvfrom(NULL, 0, MSG_DONTWAIT). 0 or -errno. Never blocks.</summary>
    public static int KickRx(int fd)
    {
        nint r = recvfrom(fd, null, 0, MSG_DONTWAIT, null, null);
        return r >= 0 ? 0 : -Marshal.GetLastPInvokeError();
    }

    private static int SetOpt(int fd, int opt, void* val, uint len)
        => setsockopt(fd, SOL_XDP, opt, val, len) == 0 ? 0 : -Libc.LastErrno;
}
