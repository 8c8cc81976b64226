using System.Runtime.InteropServices;

namespace Netmap.Interop;

/// <summary>
/// What the engine needs to know about a Linux interface, asked in the calling thread's network namespace
/// (ioctls on a socket of that namespace; /sys would show the namespace sysfs was mounted from).
/// </summary>
internal static unsafe partial class LinkInfo
{
    private const int AF_INET = 2, SOCK_DGRAM = 2;
    private const uint SIOCGIFFLAGS = 0x8913, SIOCGIFHWADDR = 0x8927, SIOCETHTOOL = 0x8946;
    private const uint ETHTOOL_GCHANNELS = 0x3c;
    public const short IFF_UP = 1, IFF_RUNNING = 0x40;

    [LibraryImport("libc.so.6", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)] private static partial uint if_nametoindex(string name);
    [LibraryImport("libc.so.6", SetLastError = true)] private static partial int ioctl(int fd, nuint request, void* arg);

    /// <summary>The interface index, or 0 when no interface has that name here.</summary>
    public static int IndexOf(string name) => name.Length is 0 or >= 16 ? 0 : (int)if_nametoindex(name);

    /// <summary>IFF_* flags, or -1 when the interface does not exist.</summary>
    public static int Flags(string name)
    {
        byte* ifr = stackalloc byte[40];
        if (!Request(name, SIOCGIFFLAGS, ifr)) return -1;
        return *(ushort*)(ifr + 16);
    }

    /// <summary>The Ethernet address, or null.</summary>
    public static byte[]? HardwareAddress(string name)
    {
        byte* ifr = stackalloc byte[40];
        if (!Request(name, SIOCGIFHWADDR, ifr)) return null;
        return new ReadOnlySpan<byte>(ifr + 18, 6).ToArray(); // struct sockaddr: family u16 then sa_data
    }

    /// <summary>Kernel RX and TX queue counts (ETHTOOL_GCHANNELS: combined, else rx/tx); (1, 1) when the driver does not say.</summary>
    public static (int Rx, int Tx) QueueCounts(string name)
    {
        uint* ch = stackalloc uint[9];
        new Span<uint>(ch, 9).Clear();
        ch[0] = ETHTOOL_GCHANNELS;
        byte* ifr = stackalloc byte[40];
        new Span<byte>(ifr, 40).Clear();
        *(void**)(ifr + 16) = ch;
        if (!Request(name, SIOCETHTOOL, ifr, clear: false)) return (1, 1);
        // ethtool_channels: cmd, max_rx, max_tx, max_other, max_combined, rx_count, tx_count, other_count, combined_count
        int rx = (int)(ch[5] + ch[8]), tx = (int)(ch[6] + ch[8]);
        return (Math.Max(1, rx), Math.Max(1, tx));
    }

    private static bool Request(string name, uint request, byte* ifr, bool clear = true)
    {
        if (name.Length is 0 or >= 16) return false;
        if (clear) new Span<byte>(ifr, 40).Clear();
        for (int i = 0; i < name.Length; i++) ifr[i] = (byte)name[i];
        ifr[name.Length] = 0;
        int fd = Libc.socket(AF_INET, SOCK_DGRAM | Libc.SOCK_CLOEXEC, 0);
        if (fd < 0) return false;
        try { return ioctl(fd, request, ifr) == 0; }
        finally { Libc.close(fd); }
    }
}
