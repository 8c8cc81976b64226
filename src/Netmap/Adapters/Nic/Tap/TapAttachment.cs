using Netmap.Abi;
using Netmap.Interop;
using Netmap.Memory;
using Netmap.Rings;

namespace Netmap.Adapters.Nic.Tap;

/// <summary>
/// A TAP device in netmap mode (<c>netmap:tapN</c>): one queue whose descriptor is a /dev/net/tun file bound to the
/// device with IFF_TAP | IFF_NO_PI (no packet-info prefix, no vnet header). What the netmap TX ring sends enters the
/// host stack as if received on tapN; what the host stack transmits on tapN lands in the netmap RX ring.
/// <list type="bullet">
/// <item>Existing TAP: attached to (a persistent TAP nobody holds). Held by another descriptor: EBUSY (a TAP without
/// IFF_MULTI_QUEUE has one queue). The device stays after <see cref="Dispose"/>, as persistent devices do.</item>
/// <item>Missing name: a TAP is created, non-persistent, and brought up. It disappears when the last copy of its
/// descriptor closes, i.e. when the engine disposes the attachment and every client that received the descriptor
/// has closed its copy.</item>
/// <item>A name that exists but is not a TAP (a TUN, a veth, lo): EINVAL.</item>
/// </list>
/// The device is looked up (and created) in the network namespace of the thread calling <see cref="Open"/>.
/// The device is brought up in both cases (a TAP that is down drops everything written to it).
/// </summary>
internal sealed class TapAttachment : NicAttachment
{
    private int _fd;

    private TapAttachment(int fd, bool created) { _fd = fd; Created = created; }

    public override NicBackendKind Kind => NicBackendKind.Tap;
    public override int QueueCount => 1;
    public override int QueueFd(int queue) => queue == 0 ? _fd : throw new ArgumentOutOfRangeException(nameof(queue));
    public override string Description => Created ? "TAP (created)" : "TAP (existing)";

    /// <summary>True when the device did not exist and was created by <see cref="Open"/> (it goes away with the descriptor).</summary>
    public bool Created { get; }

    /// <summary>True when <paramref name="ifName"/> names an existing TAP device in the calling thread's namespace.</summary>
    public static bool IsExistingTap(string ifName) => TunTap.IsValidName(ifName) && TunTap.Probe(ifName, out string kind) == 0 && kind == "tap";

    /// <summary>
    /// Attaches to TAP <paramref name="ifName"/>, creating it when missing (see the class comment), and writes
    /// <see cref="KringState.BackendQueue"/> = 0 into the one TX and one RX ring. Throws a
    /// <see cref="NetmapException"/> naming the device and the cause; on failure no descriptor stays open (so a
    /// device created here is gone again).
    /// </summary>
    public static TapAttachment Open(string ifName, MemoryRegion region, RingFactory.CreatedRing[] txRings, RingFactory.CreatedRing[] rxRings)
    {
        if (!TunTap.IsValidName(ifName))
            throw NetmapException.Create(ifName, "TAP open", Errno.EINVAL, "not a valid interface name (1 to 15 characters, no '/', '%', ':' or spaces)");
        if (txRings.Length != 1 || rxRings.Length != 1)
            throw NetmapException.Create(ifName, "TAP open", Errno.EINVAL, $"a TAP has one queue, {txRings.Length} TX and {rxRings.Length} RX rings given");

        int probe = TunTap.Probe(ifName, out string kind);
        bool exists = probe == 0;
        if (!exists && probe != TunTap.NoDevice)
            throw Fail(ifName, "SIOCGIFINDEX", -probe, "cannot look the interface up");
        if (exists && kind != "tap")
            throw NetmapException.Create(ifName, "TAP open", Errno.EINVAL,
                kind == "tun" ? "the interface is a TUN device, not a TAP" : $"the interface exists and is not a TAP device{(kind.Length > 0 ? $" (driver {kind})" : "")}");

        // Creating: IFF_TUN_EXCL, so that a device of that name appearing meanwhile is not mistaken for ours.
        int fd = TunTap.OpenTap(ifName, exclusive: !exists, out bool openFailed);
        bool created = !exists;
        if (fd == -(int)Errno.EBUSY && !exists)
        {
            created = false;
            fd = TunTap.OpenTap(ifName, exclusive: false, out openFailed);
        }
        if (fd < 0)
        {
            int e = -fd;
            if (openFailed)
                throw Fail(ifName, "open /dev/net/tun", e, e == (int)Errno.ENOENT ? "no TUN/TAP driver node (/dev/net/tun)" : "cannot open the TUN/TAP driver");
            string cause = (Errno)e switch
            {
                Errno.EBUSY => "the TAP device is already attached to another descriptor (another process or port holds it)",
                Errno.EINVAL => "the interface is not a TAP device (or a TAP with other flags)",
                Errno.EPERM => "CAP_NET_ADMIN is needed (or the TAP belongs to another user)",
                _ => created ? "cannot create the TAP device" : "cannot attach to the TAP device",
            };
            throw Fail(ifName, "TUNSETIFF", e, cause);
        }

        try
        {
            int flags = TunTap.DeviceFlags(fd, out string bound);
            if (flags < 0) throw Fail(ifName, "TUNGETIFF", -flags, "cannot read the TAP device's flags");
            if (bound != ifName || (flags & TunTap.IFF_TAP) == 0 || (flags & TunTap.IFF_NO_PI) == 0 || (flags & TunTap.IFF_VNET_HDR) != 0)
                throw NetmapException.Create(ifName, "TUNSETIFF", Errno.EINVAL, $"bound to '{bound}' with flags 0x{flags:x}, expected a TAP without packet info or vnet header");
            int up = TunTap.BringUp(ifName);
            if (up != 0) throw Fail(ifName, "SIOCSIFFLAGS", -up, "cannot bring the TAP device up");

            ref var txs = ref RingFactory.State(region, txRings[0]);
            ref var rxs = ref RingFactory.State(region, rxRings[0]);
            txs.BackendQueue = rxs.BackendQueue = 0;
            txs.BackendParam0 = rxs.BackendParam0 = TapQueue.FormatPlainFrames;
            return new TapAttachment(fd, created);
        }
        catch
        {
            Libc.close(fd);
            throw;
        }
    }

    /// <summary>Closes the engine's descriptor. A created TAP disappears once no client holds a copy any more.</summary>
    public override void Dispose()
    {
        int fd = Interlocked.Exchange(ref _fd, -1);
        if (fd >= 0) Libc.close(fd);
    }

    private static NetmapException Fail(string ifName, string op, int errno, string cause)
        => NetmapException.Create(ifName, op, Enum.IsDefined(typeof(Errno), errno) ? (Errno)errno : Errno.EIO,
            Enum.IsDefined(typeof(Errno), errno) ? cause : $"{cause} ({SystemError.Name(errno)})");
}
