using System.Runtime.InteropServices;
using System.Text;

namespace Netmap.Interop;

/// <summary>
/// The TUN/TAP driver (/dev/net/tun) and the few interface ioctls a TAP backend needs. A TAP descriptor carries
/// whole Ethernet frames: write() injects one frame into the host stack as if it arrived on the device, read()
/// returns one frame the host stack transmitted on it (truncated to the buffers given, but the return value is the
/// frame's full length). Opened here with IFF_TAP | IFF_NO_PI and no vnet header, so frames carry no prefix.
/// Namespaces: /dev/net/tun and the AF_INET control socket both act in the network namespace of the calling
/// thread (not of the process, not of the /sys mount), so everything here names interfaces of that namespace.
/// Nothing here allocates on the read/write path; setup calls return -errno instead of throwing.
/// </summary>
internal static unsafe partial class TunTap
{
    private const string L = "libc.so.6";

    public const int IFNAMSIZ = 16;
    public const short IFF_TUN = 0x0001, IFF_TAP = 0x0002, IFF_MULTI_QUEUE = 0x0100, IFF_PERSIST = 0x0800,
        IFF_NO_PI = 0x1000, IFF_VNET_HDR = 0x4000;
    public const int IFF_TUN_EXCL = 0x8000;
    /// <summary>The largest frame a TAP can carry: MAX_MTU of the tun driver (65535) plus an Ethernet header and a VLAN tag.</summary>
    public const int MaxFrame = 65535 + 14 + 4;

    private const int O_RDWR = 2, O_NONBLOCK = 0x800, O_CLOEXEC = 0x80000;
    private const int F_GETFL = 3, F_SETFL = 4;
    private const uint TUNSETIFF = 0x400454ca, TUNGETIFF = 0x800454d2;
    private const uint SIOCGIFFLAGS = 0x8913, SIOCSIFFLAGS = 0x8914, SIOCGIFINDEX = 0x8933, SIOCETHTOOL = 0x8946;
    private const int AF_INET = 2, SOCK_DGRAM = 2, ETHTOOL_GDRVINFO = 3;
    private const short IFF_UP = 0x1;
    private const int ENODEV = 19;

    /// <summary>struct ifreq: the name, then a 24-byte union (flags, ifindex or a pointer at offset 16).</summary>
    [StructLayout(LayoutKind.Explicit, Size = 40)]
    private struct IfReq
    {
        [FieldOffset(0)] public fixed byte Name[IFNAMSIZ];
        [FieldOffset(16)] public short Flags;
        [FieldOffset(16)] public int IfIndex;
        [FieldOffset(16)] public void* Data;
    }

    /// <summary>struct ethtool_drvinfo (196 bytes); the tun driver reports driver "tun" and bus_info "tun" or "tap".</summary>
    [StructLayout(LayoutKind.Explicit, Size = 196)]
    private struct DrvInfo
    {
        [FieldOffset(0)] public uint Cmd;
        [FieldOffset(4)] public fixed byte Driver[32];
        [FieldOffset(100)] public fixed byte BusInfo[32]; // after version[32] and fw_version[32]
    }

    [LibraryImport(L, SetLastError = true)] private static partial int open(byte* path, int flags);
    [LibraryImport(L, SetLastError = true)] private static partial int ioctl(int fd, nuint request, void* arg);
    [LibraryImport(L, SetLastError = true)] private static partial int fcntl(int fd, int cmd, int arg);
    [LibraryImport(L, SetLastError = true)] private static partial nint readv(int fd, Libc.IoVec* iov, int count);

    /// <summary>True when <paramref name="ifName"/> can be put in an ifreq: 1..15 printable ASCII bytes, no '/',
    /// no '%' (the kernel would pick a name), no whitespace.</summary>
    public static bool IsValidName(string ifName)
    {
        if (ifName.Length is 0 or >= IFNAMSIZ || ifName is "." or "..") return false;
        foreach (char c in ifName)
            if (c <= ' ' || c >= 0x7f || c == '/' || c == '%' || c == ':') return false;
        return true;
    }

    /// <summary>
    /// Opens /dev/net/tun (O_RDWR | O_NONBLOCK | O_CLOEXEC) and binds it with TUNSETIFF to TAP <paramref name="ifName"/>
    /// (IFF_TAP | IFF_NO_PI): creates a non-persistent device when none has the name (with <paramref name="exclusive"/>,
    /// fails EBUSY when one does), attaches to an existing persistent TAP otherwise. Returns the descriptor, or -errno
    /// (from open: ENOENT when /dev/net/tun is missing; from TUNSETIFF: EBUSY when another descriptor holds the
    /// device, EINVAL when the name is not a TAP, EPERM without CAP_NET_ADMIN). The name must pass <see cref="IsValidName"/>.
    /// </summary>
    public static int OpenTap(string ifName, bool exclusive, out bool openFailed)
    {
        openFailed = false;
        int fd;
        fixed (byte* p = "/dev/net/tun\0"u8) fd = open(p, O_RDWR | O_NONBLOCK | O_CLOEXEC);
        if (fd < 0) { openFailed = true; return -Libc.LastErrno; }
        IfReq r = default;
        WriteName(ref r, ifName);
        r.Flags = (short)(IFF_TAP | IFF_NO_PI | (exclusive ? IFF_TUN_EXCL : 0));
        if (ioctl(fd, TUNSETIFF, &r) != 0)
        {
            int e = Libc.LastErrno;
            Libc.close(fd);
            return -e;
        }
        return fd;
    }

    /// <summary>TUNGETIFF on <paramref name="fd"/>: the device's flags (IFF_TAP, IFF_NO_PI, IFF_VNET_HDR, IFF_PERSIST, ...)
    /// and its name, or -errno (EBADFD when the descriptor is not bound to a device, ENOTTY/EINVAL when it is not a
    /// tun descriptor at all).</summary>
    public static int DeviceFlags(int fd, out string name)
    {
        name = "";
        IfReq r = default;
        if (ioctl(fd, TUNGETIFF, &r) != 0) return -Libc.LastErrno;
        name = ReadName(r.Name, IFNAMSIZ);
        return (ushort)r.Flags;
    }

    /// <summary>
    /// What <paramref name="ifName"/> is in the calling thread's namespace: returns 0 and the kind ("tap", "tun", or the
    /// driver's name for anything else, e.g. "veth"; "" when the driver does not say) when it exists,
    /// -ENODEV when it does not, -errno on another failure. Uses SIOCGIFINDEX and ETHTOOL_GDRVINFO on an AF_INET
    /// socket, not /sys/class/net (sysfs shows the namespace it was mounted in, which a thread that entered another
    /// namespace with setns does not share).
    /// </summary>
    public static int Probe(string ifName, out string kind)
    {
        kind = "";
        int s = Libc.socket(AF_INET, SOCK_DGRAM | Libc.SOCK_CLOEXEC, 0);
        if (s < 0) return -Libc.LastErrno;
        try
        {
            IfReq r = default;
            WriteName(ref r, ifName);
            if (ioctl(s, SIOCGIFINDEX, &r) != 0) return -Libc.LastErrno;
            DrvInfo d = default;
            d.Cmd = ETHTOOL_GDRVINFO;
            IfReq q = default;
            WriteName(ref q, ifName);
            q.Data = &d;
            if (ioctl(s, SIOCETHTOOL, &q) != 0)
                return 0; // no driver info (lo answers EOPNOTSUPP): not a tun device
            string driver = ReadName(d.Driver, 32);
            kind = driver == "tun" ? ReadName(d.BusInfo, 32) : driver;
            return 0;
        }
        finally { Libc.close(s); }
    }

    /// <summary>Sets IFF_UP on <paramref name="ifName"/> (SIOCGIFFLAGS then SIOCSIFFLAGS on an AF_INET socket). 0 or -errno.</summary>
    public static int BringUp(string ifName)
    {
        int s = Libc.socket(AF_INET, SOCK_DGRAM | Libc.SOCK_CLOEXEC, 0);
        if (s < 0) return -Libc.LastErrno;
        try
        {
            IfReq r = default;
            WriteName(ref r, ifName);
            if (ioctl(s, SIOCGIFFLAGS, &r) != 0) return -Libc.LastErrno;
            if ((r.Flags & IFF_UP) != 0) return 0;
            r.Flags |= IFF_UP;
            return ioctl(s, SIOCSIFFLAGS, &r) != 0 ? -Libc.LastErrno : 0;
        }
        finally { Libc.close(s); }
    }

    /// <summary>Sets O_NONBLOCK on <paramref name="fd"/> if it is missing (the flag belongs to the open file, so it
    /// is shared by every copy of the descriptor). 0 or -errno.</summary>
    public static int EnsureNonBlocking(int fd)
    {
        int fl = fcntl(fd, F_GETFL, 0);
        if (fl < 0) return -Libc.LastErrno;
        if ((fl & O_NONBLOCK) != 0) return 0;
        return fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0 ? -Libc.LastErrno : 0;
    }

    /// <summary>
    /// Reads one frame: its first bytes into <paramref name="first"/>, the rest (if any) into
    /// <paramref name="overflow"/> (one readv). Returns the frame's full length, which exceeds the two spans'
    /// total when the frame was truncated, or -errno (-EAGAIN: nothing queued). Does not allocate.
    /// </summary>
    public static nint Read(int fd, Span<byte> first, Span<byte> overflow)
    {
        fixed (byte* a = first)
        fixed (byte* b = overflow)
        {
            Libc.IoVec* iov = stackalloc Libc.IoVec[2];
            iov[0] = new Libc.IoVec { Base = a, Len = (nuint)first.Length };
            iov[1] = new Libc.IoVec { Base = b, Len = (nuint)overflow.Length };
            nint n = readv(fd, iov, overflow.Length == 0 ? 1 : 2);
            return n >= 0 ? n : -Libc.LastErrno;
        }
    }

    /// <summary>Writes one frame (one write). Returns the bytes written or -errno (-EINVAL: shorter than an Ethernet
    /// header; -EIO: device down; -EAGAIN: try later). Does not allocate.</summary>
    public static nint Write(int fd, ReadOnlySpan<byte> frame)
    {
        fixed (byte* p = frame)
        {
            nint n = Libc.write(fd, p, (nuint)frame.Length);
            return n >= 0 ? n : -Libc.LastErrno;
        }
    }

    /// <summary>-ENODEV, the "no such interface" answer of <see cref="Probe"/>.</summary>
    public static int NoDevice => -ENODEV;

    private static void WriteName(ref IfReq r, string ifName)
    {
        fixed (byte* n = r.Name)
        {
            var dst = new Span<byte>(n, IFNAMSIZ - 1);
            int len = Math.Min(ifName.Length, IFNAMSIZ - 1);
            Encoding.ASCII.GetBytes(ifName.AsSpan(0, len), dst);
        }
    }

    private static string ReadName(byte* p, int max)
    {
        var s = new ReadOnlySpan<byte>(p, max);
        int z = s.IndexOf((byte)0);
        return Encoding.ASCII.GetString(z < 0 ? s : s[..z]);
    }
}
