using Netmap.Abi;
using Netmap.Adapters.Nic.Tap;
using Netmap.Adapters.Nic.Xdp;
using Netmap.Interop;
using Netmap.Memory;
using Netmap.Rings;

namespace Netmap.Adapters.Nic;

/// <summary>
/// The host rings of an interface in netmap mode (<c>netmap:IF^</c>), built from kernel parts: a hidden TAP device
/// <c>nmhIFINDEX</c> whose descriptor serves both host rings through the ordinary <see cref="TapQueue"/>, and two
/// tcx programs that splice it into the interface's paths:
/// <list type="bullet">
/// <item>host RX ring: a tcx egress program at the front of the interface's chain redirects everything the host
/// stack transmits on IF to the TAP's transmit path (<c>bpf_redirect(tap, 0)</c>), which queues it on the TAP
/// descriptor. The stack's frames thus reach the host RX ring instead of the wire.</item>
/// <item>host TX ring: frames written to the TAP descriptor enter the TAP's receive path, where a tcx ingress
/// program marks them (skb->mark = <see cref="HostStackDivert.InjectedMark"/>) and redirects them into IF's receive
/// path (<c>bpf_redirect(IF, BPF_F_INGRESS)</c>): the host stack gets them as if IF had received them. The mark lets
/// them through <see cref="HostStackDivert"/>'s ingress drop and keeps them out of the AF_PACKET RX ring (socket
/// filter of the packet backend). Native AF_XDP never sees them (the XDP program runs in the driver only); generic
/// XDP would, so host rings are refused over generic XDP.</item>
/// </list>
/// The TAP is created non-persistent, with IPv6 disabled and no address (it sends nothing of its own), and brought
/// up; it disappears when the last copy of its descriptor closes. Everything is created in the network namespace of
/// the thread calling <see cref="Open"/>, which must be IF's.
/// The host krings get <c>BackendQueue</c> = the index of <see cref="Fd"/> among the queue descriptors handed to
/// clients, <c>BackendParam0</c> = <see cref="TapQueue.FormatPlainFrames"/>.
/// </summary>
internal sealed class HostRingAttachment : IDisposable
{
    /// <summary>Prefix of the hidden TAP's name; the interface index follows.</summary>
    public const string TapPrefix = "nmh";

    private const int BpfFuncRedirect = 23;
    private const int BpfFIngress = 1;

    private int _fd, _ingressLink, _egressLink;

    private HostRingAttachment(int fd, int ingressLink, int egressLink, string tapName, int tapIndex)
    {
        _fd = fd; _ingressLink = ingressLink; _egressLink = egressLink; TapName = tapName; TapIndex = tapIndex;
    }

    /// <summary>The hidden TAP's descriptor (the engine's copy): the queue descriptor of both host rings.</summary>
    public int Fd => _fd;

    /// <summary>The hidden TAP's name (<c>nmhIFINDEX</c>) and index.</summary>
    public string TapName { get; }
    public int TapIndex { get; }

    /// <summary>The hidden TAP's name for interface index <paramref name="ifIndex"/>.</summary>
    public static string TapNameFor(int ifIndex) => TapPrefix + ifIndex.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>
    /// Builds the host path of <paramref name="ifName"/> (index <paramref name="ifIndex"/>, in the calling thread's
    /// network namespace), held in netmap mode by <paramref name="nic"/>, and writes <paramref name="queueIndex"/> and
    /// the TAP format into the krings of <paramref name="hostTx"/> and <paramref name="hostRx"/> (kinds TapTx/TapRx).
    /// Throws a <see cref="NetmapException"/> naming the interface and the cause; on failure nothing is left
    /// behind (no program attached, the TAP gone).
    /// </summary>
    public static HostRingAttachment Open(string ifName, int ifIndex, NicAttachment nic, MemoryRegion region,
        RingFactory.CreatedRing hostTx, RingFactory.CreatedRing hostRx, uint queueIndex)
    {
        const string Op = "host rings";
        switch (nic)
        {
            case TapAttachment:
                throw NetmapException.Create(ifName, Op, Errno.EOPNOTSUPP, "a TAP device in netmap mode has no host rings");
            case XdpAttachment { NativeXdp: false }:
                throw NetmapException.Create(ifName, Op, Errno.EOPNOTSUPP,
                    "AF_XDP runs in generic (skb) XDP mode on this interface, where frames injected from the host TX ring would reach the XDP program instead of the host stack; use @conf:backend=afpacket for host rings");
        }
        if (ifIndex <= 0 || LinkInfo.IndexOf(ifName) != ifIndex)
            throw NetmapException.Create(ifName, Op, Errno.ENXIO, $"interface index {ifIndex} is not {ifName} in the calling thread's network namespace");
        ref var txs = ref RingFactory.State(region, hostTx);
        ref var rxs = ref RingFactory.State(region, hostRx);
        if (txs.Kind != KringKind.TapTx || rxs.Kind != KringKind.TapRx)
            throw NetmapException.Create(ifName, Op, Errno.EINVAL, $"host rings of kinds {txs.Kind}/{rxs.Kind}, expected TapTx/TapRx");

        string tap = TapNameFor(ifIndex);
        if (TunTap.Probe(tap, out _) == 0)
            throw NetmapException.Create(ifName, Op, Errno.EEXIST, $"an interface named {tap} exists already (the host path of another netmap engine, or a stale device)");
        int fd = TunTap.OpenTap(tap, exclusive: true, out bool openFailed);
        if (fd < 0)
        {
            int e = -fd;
            string cause = openFailed
                ? (e == (int)Errno.ENOENT ? "no TUN/TAP driver node (/dev/net/tun) for the hidden TAP" : "cannot open the TUN/TAP driver for the hidden TAP")
                : e switch
                {
                    (int)Errno.EBUSY => $"an interface named {tap} appeared meanwhile",
                    (int)Errno.EPERM => "creating the hidden TAP needs CAP_NET_ADMIN",
                    _ => $"cannot create the hidden TAP {tap}",
                };
            throw Fail(ifName, openFailed ? "open /dev/net/tun" : $"TUNSETIFF {tap}", e, cause);
        }

        int ingressProg = -1, egressProg = -1, ingressLink = -1, egressLink = -1;
        bool done = false;
        try
        {
            int flags = TunTap.DeviceFlags(fd, out string bound);
            if (flags < 0 || bound != tap)
                throw NetmapException.Create(ifName, $"TUNGETIFF {tap}", Errno.EIO, $"the new TAP descriptor is bound to '{bound}' ({(flags < 0 ? SystemError.Name(-flags) : $"flags 0x{flags:x}")})");
            DisableIpv6(ifName, tap);
            int up = TunTap.BringUp(tap);
            if (up != 0) throw Fail(ifName, $"SIOCSIFFLAGS {tap}", -up, "cannot bring the hidden TAP up");
            int tapIndex = LinkInfo.IndexOf(tap);
            if (tapIndex <= 0) throw NetmapException.Create(ifName, Op, Errno.ENODEV, $"the hidden TAP {tap} vanished");

            // Injection first (it only touches the TAP), capture last: IF is untouched until the very end.
            ingressProg = HostStackDivert.Load(ifName, Bpf.AttachTcxIngress, InjectProgram(ifIndex), "netmap_host_tx");
            ingressLink = HostStackDivert.Link(ifName, ingressProg, tapIndex, Bpf.AttachTcxIngress, $"ingress of {tap}");
            egressProg = HostStackDivert.Load(ifName, Bpf.AttachTcxEgress, CaptureProgram(tapIndex), "netmap_host_rx");
            egressLink = HostStackDivert.Link(ifName, egressProg, ifIndex, Bpf.AttachTcxEgress, "egress");

            txs.BackendQueue = rxs.BackendQueue = queueIndex;
            txs.BackendParam0 = rxs.BackendParam0 = TapQueue.FormatPlainFrames;
            txs.BackendDrops = rxs.BackendDrops = 0;
            done = true;
            return new HostRingAttachment(fd, ingressLink, egressLink, tap, tapIndex);
        }
        finally
        {
            // The links hold their programs; on failure everything goes, and closing the TAP removes the device.
            if (ingressProg >= 0) Libc.close(ingressProg);
            if (egressProg >= 0) Libc.close(egressProg);
            if (!done)
            {
                if (egressLink >= 0) Libc.close(egressLink);
                if (ingressLink >= 0) Libc.close(ingressLink);
                Libc.close(fd);
            }
        }
    }

    /// <summary>tcx ingress of the TAP: skb->mark = InjectedMark; return bpf_redirect(ifIndex, BPF_F_INGRESS).</summary>
    private static ulong[] InjectProgram(int ifIndex) =>
    [
        Bpf.Insn(0xb7, 2, 0, 0, (int)HostStackDivert.InjectedMark), // r2 = InjectedMark
        Bpf.Insn(0x63, 1, 2, 8, 0),                                // *(u32 *)(r1 + offsetof(struct __sk_buff, mark)) = r2
        Bpf.Insn(0xb7, 1, 0, 0, ifIndex),                          // r1 = ifindex
        Bpf.Insn(0xb7, 2, 0, 0, BpfFIngress),                      // r2 = BPF_F_INGRESS
        Bpf.Insn(0x85, 0, 0, 0, BpfFuncRedirect),                  // r0 = bpf_redirect(r1, r2): TCX_REDIRECT
        Bpf.Insn(0x95, 0, 0, 0, 0),                                // exit
    ];

    /// <summary>tcx egress of IF: return bpf_redirect(tapIndex, 0).</summary>
    private static ulong[] CaptureProgram(int tapIndex) =>
    [
        Bpf.Insn(0xb7, 1, 0, 0, tapIndex),                         // r1 = the TAP's ifindex
        Bpf.Insn(0xb7, 2, 0, 0, 0),                                // r2 = 0: its transmit path
        Bpf.Insn(0x85, 0, 0, 0, BpfFuncRedirect),                  // r0 = bpf_redirect(r1, r2): TCX_REDIRECT
        Bpf.Insn(0x95, 0, 0, 0, 0),                                // exit
    ];

    /// <summary>
    /// disable_ipv6 on the TAP before it goes up, so it never sends router solicitations or MLD reports (which would
    /// land in the host RX ring). /proc/sys/net resolves to the namespace of the thread that opens the file, i.e.
    /// this one. A kernel without IPv6 has no such file, and nothing to disable.
    /// </summary>
    private static void DisableIpv6(string ifName, string tap)
    {
        string path = $"/proc/sys/net/ipv6/conf/{tap}/disable_ipv6";
        try
        {
            using var f = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.ReadWrite, 1, FileOptions.None);
            f.Write("1\n"u8);
        }
        catch (Exception e) when (e is DirectoryNotFoundException or FileNotFoundException)
        {
            // no IPv6
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw NetmapException.Create(ifName, $"disable IPv6 on {tap}", e is UnauthorizedAccessException ? Errno.EPERM : Errno.EIO,
                $"{path}: {e.Message} (the hidden TAP would send IPv6 traffic of its own into the host RX ring)");
        }
    }

    /// <summary>
    /// Takes the host path down: the capture link first (from then on HostStackDivert's egress drop gets the host
    /// stack's transmissions again), then the injection link, then the engine's TAP descriptor (the device goes
    /// once every client closed its copy).
    /// </summary>
    public void Dispose()
    {
        int l = Interlocked.Exchange(ref _egressLink, -1);
        if (l >= 0) Libc.close(l);
        l = Interlocked.Exchange(ref _ingressLink, -1);
        if (l >= 0) Libc.close(l);
        l = Interlocked.Exchange(ref _fd, -1);
        if (l >= 0) Libc.close(l);
    }

    private static NetmapException Fail(string ifName, string op, int errno, string cause)
        => NetmapException.Create(ifName, op, Enum.IsDefined(typeof(Errno), errno) ? (Errno)errno : Errno.EIO,
            Enum.IsDefined(typeof(Errno), errno) ? cause : $"{cause} ({SystemError.Name(errno)})");
}
