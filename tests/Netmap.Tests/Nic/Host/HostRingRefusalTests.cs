using Netmap.Abi;
using Netmap.Adapters.Nic;
using Netmap.Adapters.Nic.Xdp;
using Netmap.Tests.Nic.Packet;

namespace Netmap.Tests.Nic.Host;

/// <summary>Host rings that cannot be built are refused with a named cause, and leave nothing behind.</summary>
public sealed class HostRingRefusalTests
{
    [Fact]
    public void GenericXdp_IsRefused_EOPNOTSUPP()
    {
        // veth refuses native XDP with a 9000-byte MTU (no multi-buffer program): AF_XDP falls back to generic mode,
        // where injected frames would run into the XDP program instead of the host stack.
        using var bed = new HostRingBed(NicBackendKind.Xdp, mtu: 9000, openHost: false);
        Assert.False(((XdpAttachment)bed.Nic).NativeXdp);
        var e = Assert.Throws<NetmapException>(() => bed.OpenHostAttachment());
        Assert.Equal(Errno.EOPNOTSUPP, e.Errno);
        Assert.Contains("generic", e.Message);
        Assert.Contains(bed.Dev, e.Message);
        Assert.True(bed.LinkGone(HostRingAttachment.TapNameFor(bed.IfIndex)));
        Assert.Equal(1, TcxLinks.CountOwnOn(bed.IfIndex)); // the egress divert only
    }

    [Fact]
    public void ExistingDeviceOfTheTapsName_IsRefused_EEXIST_AndKept()
    {
        using var bed = new HostRingBed(NicBackendKind.Packet, openHost: false);
        string tap = HostRingAttachment.TapNameFor(bed.IfIndex);
        bed.Lab.Exec(bed.NsNetmap, $"ip tuntap add dev {tap} mode tap");
        var e = Assert.Throws<NetmapException>(() => bed.OpenHostAttachment());
        Assert.Equal(Errno.EEXIST, e.Errno);
        Assert.Contains(tap, e.Message);
        Assert.True(bed.LinkExists(tap));
        Assert.Equal(2, TcxLinks.CountOwnOn(bed.IfIndex)); // the divert's ingress and egress only

        // Once the name is free, host rings work.
        bed.Lab.Exec(bed.NsNetmap, $"ip tuntap del dev {tap} mode tap");
        bed.OpenHost();
        Assert.Equal(3, TcxLinks.CountOwnOn(bed.IfIndex));
    }

    [Fact]
    public void WrongInterfaceIndex_IsRefused_ENXIO()
    {
        using var bed = new HostRingBed(NicBackendKind.Packet, openHost: false);
        var e = Assert.Throws<NetmapException>(() => NamespaceThread.Run(bed.NsNetmap,
            () => HostRingAttachment.Open(bed.Dev, bed.IfIndex + 1, bed.Nic, bed.Region, bed.HostTxRing, bed.HostRxRing, 1)));
        Assert.Equal(Errno.ENXIO, e.Errno);
        Assert.True(bed.LinkGone(HostRingAttachment.TapNameFor(bed.IfIndex + 1)));
        Assert.True(bed.LinkGone(HostRingAttachment.TapNameFor(bed.IfIndex)));
    }
}
