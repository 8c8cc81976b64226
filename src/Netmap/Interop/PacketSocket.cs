using System.Runtime.InteropServices;
using Netmap.Abi;

namespace Netmap.Interop;

/// <summary>
/// AF_PACKET sockets with TPACKET_V3 RX and TX rings (packet(7), Documentation/networking/packet_mmap.rst): the
/// socket that puts an interface in netmap mode when AF_XDP is not used. <see cref="Open"/> builds the socket;
/// the rings are mapped with <see cref="TpacketRings.Map"/>; <see cref="Kick"/> makes the kernel send the TX
/// frames marked SEND_REQUEST.
/// </summary>
internal static unsafe partial class PacketSocket
{
    private const string L = "libc.so.6";

    public const int AF_PACKET = 17, SOCK_RAW = 3, SOL_PACKET = 263;
    public const ushort ETH_P_ALL = 0x0003;
    public const int PACKET_RX_RING = 5, PACKET_STATISTICS = 6, PACKET_VERSION = 10, PACKET_TX_RING = 13,
        PACKET_LOSS = 14, PACKET_QDISC_BYPASS = 20, PACKET_IGNORE_OUTGOING = 23;
    public const int TPACKET_V3 = 2;
    public const int SO_SNDBUFFORCE = 32;
    /// <summary>Nominal RX frame size given to the kernel (V3 RX frames are variable; it only checks the arithmetic).</summary>
    public const uint RxNominalFrameSize = 2048;

    [StructLayout(LayoutKind.Sequential)]
    private struct TpacketReq3
    {
        public uint BlockSize, BlockNr, FrameSize, FrameNr, RetireBlkTov, SizeofPriv, FeatureReqWord;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct SockaddrLl
    {
        public ushort Family; public ushort Protocol; public int IfIndex;
        public ushort HaType; public byte PktType; public byte HaLen; public ulong Addr;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct TpacketStatsV3 { public uint Packets, Drops, FreezeQCount; }

    [LibraryImport(L, SetLastError = true)] private static partial int setsockopt(int fd, int level, int opt, void* val, uint len);
    [LibraryImport(L, SetLastError = true)] private static partial nint send(int fd, void* buf, nuint len, int flags);
    [LibraryImport(L, SetLastError = true)] private static partial int ioctl(int fd, nuint request, void* arg);

    /// <summary>
    /// A packet socket bound to <paramref name="ifIndex"/> for every protocol, with the rings of
    /// <paramref name="g"/> (RX blocks retired after <paramref name="retireBlockMs"/> ms even when not full),
    /// PACKET_QDISC_BYPASS, PACKET_IGNORE_OUTGOING (neither our TX nor the host's comes back in RX), PACKET_LOSS
    /// (a malformed TX frame is skipped instead of stopping the ring) and a send buffer that holds the whole TX ring
    /// in flight. The socket is made with protocol 0 and bound with ETH_P_ALL at the end, so the ring sees nothing
    /// from other interfaces in between. Returns the descriptor (close-on-exec); throws naming
    /// <paramref name="owner"/> and closes everything on failure.
    /// </summary>
    public static int Open(string owner, int ifIndex, in TpacketGeometry g, uint retireBlockMs)
    {
        if (!g.IsValid(out string why)) throw NetmapException.Create(owner, "AF_PACKET rings", Errno.EINVAL, why);
        int fd = Libc.socket(AF_PACKET, SOCK_RAW | Libc.SOCK_CLOEXEC, 0);
        if (fd < 0)
        {
            int e = Libc.LastErrno;
            throw NetmapException.Create(owner, "AF_PACKET socket", (Errno)e, e == 1 ? "needs CAP_NET_RAW" : SystemError.Name(e));
        }
        try
        {
            SetInt(owner, fd, SOL_PACKET, PACKET_VERSION, TPACKET_V3, "PACKET_VERSION V3");
            SetInt(owner, fd, SOL_PACKET, PACKET_LOSS, 1, "PACKET_LOSS");
            SetInt(owner, fd, SOL_PACKET, PACKET_QDISC_BYPASS, 1, "PACKET_QDISC_BYPASS");
            SetInt(owner, fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, 1, "PACKET_IGNORE_OUTGOING");
            var rx = new TpacketReq3
            {
                BlockSize = g.BlockSize, BlockNr = g.RxBlocks, FrameSize = RxNominalFrameSize,
                FrameNr = g.BlockSize / RxNominalFrameSize * g.RxBlocks, RetireBlkTov = retireBlockMs,
            };
            if (setsockopt(fd, SOL_PACKET, PACKET_RX_RING, &rx, (uint)sizeof(TpacketReq3)) != 0)
                throw Failed(owner, "PACKET_RX_RING", $"{g.RxBlocks} blocks of {g.BlockSize} bytes");
            var tx = new TpacketReq3 { BlockSize = g.BlockSize, BlockNr = g.TxBlocks, FrameSize = g.TxFrameSize, FrameNr = g.TxFrames };
            if (setsockopt(fd, SOL_PACKET, PACKET_TX_RING, &tx, (uint)sizeof(TpacketReq3)) != 0)
                throw Failed(owner, "PACKET_TX_RING", $"{g.TxFrames} frames of {g.TxFrameSize} bytes");
            // Every TX frame in flight holds its bytes plus an skb against the send buffer; a full buffer would leave
            // SEND_REQUEST frames behind that no POLLOUT ever reports, so make room for the whole ring.
            long sndbuf = Math.Min((long)g.TxFrames * (g.TxFrameSize + 1024), int.MaxValue / 2);
            int v = (int)sndbuf;
            if (setsockopt(fd, Libc.SOL_SOCKET, SO_SNDBUFFORCE, &v, 4) != 0)
                setsockopt(fd, Libc.SOL_SOCKET, Libc.SO_SNDBUF, &v, 4); // best effort without CAP_NET_ADMIN
            var sa = new SockaddrLl { Family = AF_PACKET, Protocol = Htons(ETH_P_ALL), IfIndex = ifIndex };
            if (Libc.bind(fd, &sa, (uint)sizeof(SockaddrLl)) != 0)
                throw Failed(owner, "AF_PACKET bind", $"ifindex {ifIndex}");
            return fd;
        }
        catch
        {
            Libc.close(fd);
            throw;
        }
    }

    /// <summary>struct sock_filter: one classic BPF instruction.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct SockFilter { public ushort Code; public byte Jt, Jf; public uint K; }

    /// <summary>struct sock_fprog.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct SockFprog { public ushort Len; public SockFilter* Filter; }

    /// <summary>
    /// Attaches a classic BPF socket filter (SO_ATTACH_FILTER) that refuses every frame whose skb->mark is
    /// <paramref name="mark"/> and accepts the rest whole: <c>ld mark; jeq #mark, drop; ret #-1; drop: ret #0</c>
    /// (the mark is read with the ancillary load SKF_AD_OFF + SKF_AD_MARK). Throws naming <paramref name="owner"/>.
    /// </summary>
    public static void DropMarked(string owner, int fd, uint mark)
    {
        const ushort LdWAbs = 0x20, JeqK = 0x15, RetK = 0x06;
        const uint SkfAdMark = unchecked((uint)(-0x1000 + 20)); // SKF_AD_OFF + SKF_AD_MARK
        const int SO_ATTACH_FILTER = 26;
        SockFilter* f = stackalloc SockFilter[4];
        f[0] = new SockFilter { Code = LdWAbs, K = SkfAdMark };
        f[1] = new SockFilter { Code = JeqK, Jt = 1, Jf = 0, K = mark };
        f[2] = new SockFilter { Code = RetK, K = uint.MaxValue };
        f[3] = new SockFilter { Code = RetK, K = 0 };
        var prog = new SockFprog { Len = 4, Filter = f };
        if (setsockopt(fd, Libc.SOL_SOCKET, SO_ATTACH_FILTER, &prog, (uint)sizeof(SockFprog)) != 0)
            throw Failed(owner, "SO_ATTACH_FILTER", "the filter keeping injected host frames out of the RX ring");
    }

    /// <summary>The MTU of <paramref name="ifName"/> in the calling thread's network namespace (SIOCGIFMTU), or -1.</summary>
    public static int Mtu(string ifName)
    {
        const uint SIOCGIFMTU = 0x8921;
        if (ifName.Length is 0 or >= 16) return -1;
        byte* ifr = stackalloc byte[40];
        new Span<byte>(ifr, 40).Clear();
        for (int i = 0; i < ifName.Length; i++) ifr[i] = (byte)ifName[i];
        int fd = Libc.socket(2 /* AF_INET */, 2 /* SOCK_DGRAM */ | Libc.SOCK_CLOEXEC, 0);
        if (fd < 0) return -1;
        try { return ioctl(fd, SIOCGIFMTU, ifr) == 0 ? *(int*)(ifr + 16) : -1; }
        finally { Libc.close(fd); }
    }

    /// <summary>Asks the kernel to send every TX frame marked SEND_REQUEST, without waiting. Errors (ENOBUFS,
    /// EAGAIN, a frame rejected) are ignored: the frames stay in the ring and the next kick retries.</summary>
    public static void Kick(int fd) => send(fd, null, 0, Libc.MSG_DONTWAIT);

    /// <summary>PACKET_STATISTICS: frames the socket accepted and dropped (ring full) since the last call, which
    /// resets the counters; false when the call failed.</summary>
    public static bool TryReadStatistics(int fd, out uint packets, out uint drops)
    {
        TpacketStatsV3 s = default;
        uint len = (uint)sizeof(TpacketStatsV3);
        bool ok = Libc.getsockopt(fd, SOL_PACKET, PACKET_STATISTICS, &s, &len) == 0;
        packets = s.Packets; drops = s.Drops;
        return ok;
    }

    private static void SetInt(string owner, int fd, int level, int opt, int value, string what)
    {
        if (setsockopt(fd, level, opt, &value, 4) != 0) throw Failed(owner, what, null);
    }

    private static NetmapException Failed(string owner, string what, string? detail)
    {
        int e = Libc.LastErrno;
        return NetmapException.Create(owner, what, (Errno)e, detail is null ? SystemError.Name(e) : $"{detail} ({SystemError.Name(e)})");
    }

    private static ushort Htons(ushort v) => (ushort)(v << 8 | v >> 8);
}
