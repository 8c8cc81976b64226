using Netmap.Adapters.Nic;
using Netmap.Tests.Nic.Packet;
using static Netmap.Tests.Nic.Host.HostRingFrames;

namespace Netmap.Tests.Nic.Host;

/// <summary>
/// The host rings of an interface in netmap mode, for both backends (AF_XDP native on veth, AF_PACKET): the host
/// stack's transmissions reach the host RX ring instead of the wire, frames of the host TX ring reach the host
/// stack (never the NIC RX ring), and Dispose takes the hidden TAP and its links away.
/// </summary>
public sealed class HostRingPathTests
{
    public static TheoryData<NicBackendKind> Backends => new() { NicBackendKind.Xdp, NicBackendKind.Packet };

    [Theory, MemberData(nameof(Backends))]
    public void HostRx_GetsTheStacksTransmissions_AndTheWireGetsNone(NicBackendKind backend)
    {
        using var bed = new HostRingBed(backend);
        if (backend == NicBackendKind.Xdp) Assert.True(((Netmap.Adapters.Nic.Xdp.XdpAttachment)bed.Nic).NativeXdp);

        // Unknown neighbour: the stack asks for it (ARP request) ...
        var ping = bed.Lab.Ping(bed.NsNetmap, $"{HostRingBed.PeerIp}");
        Assert.False(ping.Answered, ping.ToString());
        var seen = new List<byte[]>();
        Assert.NotNull(bed.WaitHost(f => IsArp(f, ArpRequest, HostRingBed.NetmapIp, HostRingBed.PeerIp), seen));

        // ... known neighbour: the ICMP echo request itself.
        bed.Lab.Exec(bed.NsNetmap, $"ip neigh replace {HostRingBed.PeerIp} lladdr {HostRingBed.MacText(bed.PeerMac)} dev {bed.Dev}");
        bed.Lab.Ping(bed.NsNetmap, $"{HostRingBed.PeerIp}", count: 2);
        var echo = bed.WaitHost(f => IsIcmpEcho(f, IcmpEchoRequest, HostRingBed.NetmapIp, HostRingBed.PeerIp), seen);
        Assert.NotNull(echo);
        Assert.Equal(bed.PeerMac, echo.AsSpan(0, 6).ToArray());
        Assert.Equal(bed.DevMac, echo.AsSpan(6, 6).ToArray());

        // The hidden TAP sent nothing of its own (IPv6 is off on it: no router solicitation, no MLD).
        Assert.DoesNotContain(seen, f => EtherType(f) == 0x86dd);

        // None of it reached the wire.
        var wire = bed.CollectPeer(300);
        Assert.True(wire.Count == 0, $"on the wire: {string.Join("; ", wire.Select(f => Describe(f)))}");
    }

    [Theory, MemberData(nameof(Backends))]
    public void HostTx_InjectsIntoTheStack_WhoseAnswersComeBackInHostRx(NicBackendKind backend)
    {
        using var bed = new HostRingBed(backend);
        var seen = new List<byte[]>();

        // An ARP request for the interface's address: the stack answers (unicast to the asker) ...
        bed.Inject(ArpWhoHas(HostRingBed.NetmapIp));
        var reply = bed.WaitHost(f => IsArp(f, ArpReply, HostRingBed.NetmapIp, FakeIp), seen);
        Assert.True(reply is not null, $"no ARP reply in the host RX ring; got {string.Join("; ", seen.Select(f => Describe(f)))}");
        Assert.Equal(FakeMac, reply.AsSpan(0, 6).ToArray());
        Assert.Equal(bed.DevMac, reply.AsSpan(6, 6).ToArray());

        // ... and, now knowing the asker, an ICMP echo request.
        bed.Inject(IcmpEcho(IcmpEchoRequest, FakeMac, FakeIp, bed.DevMac, HostRingBed.NetmapIp, id: 0x4e4d, seq: 7));
        var echo = bed.WaitHost(f => IsIcmpEcho(f, IcmpEchoReply, HostRingBed.NetmapIp, FakeIp), seen);
        Assert.True(echo is not null, $"no echo reply in the host RX ring; got {string.Join("; ", seen.Select(f => Describe(f)))}");
        Assert.Equal(7, echo[40] << 8 | echo[41]);

        Assert.Empty(bed.CollectPeer(200));
    }

    [Theory, MemberData(nameof(Backends))]
    public void InjectedFrames_NeverReachTheNicRxRing_WhichStillGetsTheWire(NicBackendKind backend)
    {
        using var bed = new HostRingBed(backend);
        var frames = Enumerable.Range(0, 8).Select(i => IcmpEcho(IcmpEchoRequest, FakeMac, FakeIp, bed.DevMac, HostRingBed.NetmapIp, 0x4e4d, (ushort)i))
            .Prepend(ArpWhoHas(HostRingBed.NetmapIp)).ToArray();
        bed.Inject(frames);
        var seen = new List<byte[]>();
        Assert.NotNull(bed.WaitHost(f => IsIcmpEcho(f, IcmpEchoReply, HostRingBed.NetmapIp, FakeIp) && f[41] == 7, seen));
        var nic = bed.CollectNic(300);
        Assert.True(nic.Count == 0, $"the NIC RX ring got: {string.Join("; ", nic.Select(f => Describe(f)))}");

        // The wire's frames still arrive there (and the stack does not answer them).
        bed.Peer.Send(PacketFrames.Make(1, 100));
        Assert.Equal(1, bed.CollectNicUntil(f => PacketFrames.IsTestFrame(f), 2000));
        bed.Lab.Ping(bed.NsPeer, $"{HostRingBed.NetmapIp}");
        Assert.DoesNotContain(bed.CollectPeer(200), f => IsArp(f, ArpReply, HostRingBed.NetmapIp, HostRingBed.PeerIp));
    }

    [Theory, MemberData(nameof(Backends))]
    public void Dispose_RemovesTheTapAndLinks_AndTheStacksFramesAreDroppedAgain(NicBackendKind backend)
    {
        using var bed = new HostRingBed(backend);
        string tap = bed.Host!.TapName;
        Assert.Equal(HostRingAttachment.TapNameFor(bed.IfIndex), tap);
        Assert.True(bed.LinkExists(tap));
        int divertLinks = backend == NicBackendKind.Xdp ? 1 : 2;
        Assert.Equal(divertLinks + 1, TcxLinks.CountOwnOn(bed.IfIndex));
        // (The TAP's own ingress link is not counted: TAPs of other tests' namespaces may share its index. It goes
        // with the device anyway.)
        // No address, IPv6 off: the TAP sends nothing of its own.
        Assert.DoesNotContain("inet", bed.Lab.Exec(bed.NsNetmap, $"ip addr show dev {tap}"));

        bed.CloseHost();
        Assert.True(bed.LinkGone(tap), $"{tap} still exists");
        Assert.Equal(divertLinks, TcxLinks.CountOwnOn(bed.IfIndex));

        bed.Lab.Ping(bed.NsNetmap, $"{HostRingBed.PeerIp}", count: 2);
        Assert.Empty(bed.CollectPeer(200));

        // And it can be built again.
        bed.OpenHost();
        bed.Lab.Ping(bed.NsNetmap, $"{HostRingBed.PeerIp}");
        Assert.NotNull(bed.WaitHost(f => IsArp(f, ArpRequest, HostRingBed.NetmapIp, HostRingBed.PeerIp), new List<byte[]>()));
    }
}
