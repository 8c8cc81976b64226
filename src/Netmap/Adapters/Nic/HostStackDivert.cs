using Netmap.Abi;
using Netmap.Interop;

namespace Netmap.Adapters.Nic;

/// <summary>
/// Cuts an interface off the host stack while netmap rings own it, as netmap does for a NIC in netmap mode:
/// <list type="bullet">
/// <item>tcx ingress (AF_PACKET; AF_XDP takes frames before the stack anyway): a program that returns TCX_DROP,
/// except for frames whose skb->mark is <see cref="InjectedMark"/>: those were written to the host TX ring and
/// redirected here by <see cref="HostRingAttachment"/>, and pass to the stack. Packet sockets get every received
/// frame before tc ingress runs, so the netmap RX ring still sees the wire's frames (a socket filter keeps the
/// injected ones out of it); the stack does not.</item>
/// <item>tcx egress (both backends): the same program on the way out. The host stack's transmissions go through
/// dev_queue_xmit and are dropped; frames of our TX rings skip that path (PACKET_QDISC_BYPASS and AF_XDP's TX both
/// send with dev_direct_xmit, which runs neither the qdisc nor tcx), so only netmap's frames reach the wire. While
/// the host rings exist, <see cref="HostRingAttachment"/>'s redirect sits in front of it and sends the stack's frames
/// to the host RX ring instead.</item>
/// </list>
/// Both are attached through bpf_links placed first in the tcx chain (BPF_F_BEFORE without a relative program), so
/// an earlier program's verdict cannot pass frames around them. Closing the links (Dispose, or the death of every
/// process holding them) detaches the programs.
/// </summary>
internal sealed class HostStackDivert : IDisposable
{
    private const int TcxPass = 0, TcxDrop = 2;
    /// <summary>skb->mark of the frames the host TX ring injects into the interface's receive path (set by the
    /// hidden TAP's ingress program of <see cref="HostRingAttachment"/>). Below 2^31, so that a 64-bit compare with
    /// the sign-extended immediate matches the zero-extended 32-bit load.</summary>
    public const uint InjectedMark = 0x6e6d6873; // "nmhs"
    /// <summary>BPF_F_BEFORE: with no relative program, the link goes to the front of the chain.</summary>
    private const uint BpfFBefore = 1u << 3;

    private int _ingress;
    private int _egress;

    private HostStackDivert(int ingress, int egress) { _ingress = ingress; _egress = egress; }

    /// <summary>The egress program: r0 = TCX_DROP; exit.</summary>
    private static readonly ulong[] DropAll = { Bpf.Insn(0xb7, 0, 0, 0, TcxDrop), Bpf.Insn(0x95, 0, 0, 0, 0) };

    /// <summary>The ingress program: r0 = skb->mark == InjectedMark ? TCX_PASS : TCX_DROP.</summary>
    private static readonly ulong[] DropAllButInjected =
    {
        Bpf.Insn(0x61, 2, 1, 8, 0),                         // r2 = *(u32 *)(r1 + offsetof(struct __sk_buff, mark))
        Bpf.Insn(0xb7, 0, 0, 0, TcxDrop),                   // r0 = TCX_DROP
        Bpf.Insn(0x55, 2, 0, 1, (int)InjectedMark),         // if r2 != InjectedMark goto exit
        Bpf.Insn(0xb7, 0, 0, 0, TcxPass),                   // r0 = TCX_PASS
        Bpf.Insn(0x95, 0, 0, 0, 0),                         // exit
    };

    /// <summary>Attaches the egress hook (and the ingress one when <paramref name="ingress"/>) to
    /// <paramref name="ifIndex"/>; throws naming <paramref name="owner"/> and leaves nothing attached on failure.</summary>
    public static HostStackDivert Attach(string owner, int ifIndex, bool ingress = true)
    {
        int ingressProg = -1, egressProg = -1, ingressLink = -1, egress = -1;
        try
        {
            if (ingress)
            {
                ingressProg = Load(owner, Bpf.AttachTcxIngress, DropAllButInjected, "netmap_rx_drop");
                ingressLink = Link(owner, ingressProg, ifIndex, Bpf.AttachTcxIngress, "ingress");
            }
            egressProg = Load(owner, Bpf.AttachTcxEgress, DropAll, "netmap_tx_drop");
            egress = Link(owner, egressProg, ifIndex, Bpf.AttachTcxEgress, "egress");
            var d = new HostStackDivert(ingressLink, egress);
            ingressLink = egress = -1; // kept; the programs' fds are closed below (each link holds its program)
            return d;
        }
        finally
        {
            foreach (int fd in new[] { egress, ingressLink, egressProg, ingressProg })
                if (fd >= 0) Libc.close(fd);
        }
    }

    /// <summary>Loads tcx program <paramref name="insns"/> for <paramref name="attachType"/>: its fd, or throws
    /// naming <paramref name="owner"/> (also used by <see cref="HostRingAttachment"/>).</summary>
    internal static int Load(string owner, int attachType, ReadOnlySpan<ulong> insns, string name)
    {
        int fd = Bpf.LoadProgram(Bpf.ProgTypeSchedCls, attachType, insns, name, out string log);
        if (fd >= 0) return fd;
        var e = (Errno)(-fd);
        string cause = e switch
        {
            Errno.EPERM => "loading a tc program needs CAP_BPF and CAP_NET_ADMIN",
            Errno.EINVAL => "the kernel has no tcx (Linux 6.6 or later)" + (log.Length > 0 ? ": " + log : ""),
            _ => log.Length > 0 ? log : SystemError.Name(-fd),
        };
        throw NetmapException.Create(owner, $"BPF_PROG_LOAD (tcx {name})", e, cause);
    }

    /// <summary>Links <paramref name="prog"/> at the front of the tcx <paramref name="hook"/> chain of
    /// <paramref name="ifIndex"/>: the link fd, or throws naming <paramref name="owner"/>.</summary>
    internal static int Link(string owner, int prog, int ifIndex, int attachType, string hook)
    {
        int fd = Bpf.CreateLink(prog, ifIndex, attachType, BpfFBefore);
        if (fd >= 0) return fd;
        var e = (Errno)(-fd);
        string cause = e switch
        {
            Errno.EPERM => "attaching a tc program needs CAP_NET_ADMIN",
            Errno.EINVAL => $"the kernel refused a tcx {hook} link (tcx needs Linux 6.6 or later)",
            Errno.ENODEV => "the interface is gone",
            _ => SystemError.Name(-fd),
        };
        throw NetmapException.Create(owner, $"BPF_LINK_CREATE (tcx {hook})", e, cause);
    }

    /// <summary>Detaches both programs: the host stack sends and receives on the interface again.</summary>
    public void Dispose()
    {
        if (_egress >= 0) { Libc.close(_egress); _egress = -1; }
        if (_ingress >= 0) { Libc.close(_ingress); _ingress = -1; }
    }
}
