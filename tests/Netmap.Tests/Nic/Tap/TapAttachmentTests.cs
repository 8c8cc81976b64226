using Netmap.Abi;
using Netmap.Adapters.Nic;
using Netmap.Adapters.Nic.Tap;
using Netmap.Interop;
using Netmap.Memory;
using Netmap.Rings;
using Netmap.Tests.Infrastructure;

namespace Netmap.Tests.Nic.Tap;

/// <summary>
/// Test objective: <c>netmap:tapN</c> creates the TAP when missing (non-persistent, up, gone when the descriptor
/// closes), attaches to an existing persistent TAP, and refuses clearly what it cannot use (a held TAP, a TUN, a
/// non-TUN interface, a bad name, a descriptor that is not a TAP). Every device lives in a namespace of the test.
/// </summary>
public sealed class TapAttachmentTests
{
    private static string UniqueTapName() => "tap" + Random.Shared.Next(100_000, 999_999);

    [Fact]
    public void Open_MissingName_CreatesTheTapUpInTheCallersNamespace_AndClosingRemovesIt()
    {
        using var lab = new NetworkLab();
        string ns = lab.Namespace("tap");
        string dev = UniqueTapName();
        using (var rig = TapRig.Open(ns, dev))
        {
            var a = rig.Attachment;
            Assert.True(a.Created);
            Assert.Equal("TAP (created)", a.Description);
            Assert.Equal(NicBackendKind.Tap, a.Kind);
            Assert.Equal(1, a.QueueCount);
            Assert.Equal(a.QueueFd(0), rig.Queue.WaitFd);
            string link = lab.Exec(ns, $"ip -d link show dev {dev}");
            Assert.Contains("<BROADCAST,MULTICAST,UP", link);
            Assert.Contains("tun type tap pi off vnet_hdr off persist off", link);
            Assert.Equal(0, LinkInfo.IndexOf(dev)); // not in the test process's own namespace
            Assert.Equal(0u, rig.Tx.State.BackendQueue);
            Assert.Equal(TapQueue.FormatPlainFrames, rig.Rx.State.BackendParam0);
        }
        // A child process another test forks meanwhile holds a copy of the descriptor until its exec: wait, bounded.
        var deadline = Environment.TickCount64 + 3000;
        while (lab.TryExec(ns, $"ip link show dev {dev}").ExitCode == 0 && Environment.TickCount64 < deadline) Thread.Sleep(50);
        Assert.NotEqual(0, lab.TryExec(ns, $"ip link show dev {dev}").ExitCode);
    }

    [Fact]
    public void Open_ExistingPersistentTap_AttachesToIt_RefusesASecondHolder_AndLeavesItInPlace()
    {
        using var lab = new NetworkLab();
        string ns = lab.Namespace("tap");
        string dev = UniqueTapName();
        lab.Exec(ns, $"ip tuntap add dev {dev} mode tap");
        using (var rig = TapRig.Open(ns, dev))
        {
            Assert.False(rig.Attachment.Created);
            Assert.Equal("TAP (existing)", rig.Attachment.Description);
            Assert.Contains(",UP", lab.Exec(ns, $"ip link show dev {dev}"));
            var ex = Assert.Throws<NetmapException>(() => TapRig.Open(ns, dev));
            Assert.Equal(Errno.EBUSY, ex.Errno);
            Assert.Contains(dev, ex.Message);
            Assert.Contains("already attached", ex.Message);
        }
        Assert.Contains("persist on", lab.Exec(ns, $"ip -d link show dev {dev}"));
        using (var again = TapRig.Open(ns, dev)) Assert.False(again.Attachment.Created); // free again
    }

    [Fact]
    public void Open_ExistingInterfaceThatIsNotATap_FailsEinvalNamingTheCause()
    {
        using var lab = new NetworkLab();
        string ns = lab.Namespace("tap");
        var lo = Assert.Throws<NetmapException>(() => TapRig.Open(ns, "lo"));
        Assert.Equal(Errno.EINVAL, lo.Errno);
        Assert.Contains("lo: TAP open: EINVAL", lo.Message);
        Assert.Contains("not a TAP", lo.Message);

        string tun = "tun" + Random.Shared.Next(100_000, 999_999);
        lab.Exec(ns, $"ip tuntap add dev {tun} mode tun");
        var t = Assert.Throws<NetmapException>(() => TapRig.Open(ns, tun));
        Assert.Equal(Errno.EINVAL, t.Errno);
        Assert.Contains("TUN device", t.Message);

        var (veth, _) = lab.Veth(rootNamespace: ns);
        var v = Assert.Throws<NetmapException>(() => TapRig.Open(ns, veth));
        Assert.Equal(Errno.EINVAL, v.Errno);
        Assert.Contains("driver veth", v.Message);
    }

    [Theory]
    [InlineData("")]
    [InlineData("tap/0")]
    [InlineData("tap%d")]
    [InlineData("tap0123456789abc")]
    public void Open_InvalidName_FailsEinvalBeforeTouchingTheKernel(string name)
    {
        var ex = Assert.Throws<NetmapException>(() => TapAttachment.Open(name, null!, [], []));
        Assert.Equal(Errno.EINVAL, ex.Errno);
        Assert.Contains("not a valid interface name", ex.Message);
    }

    [Fact]
    public void QueueOpen_OnADescriptorThatIsNotATap_FailsEinval()
    {
        using var region = MemoryRegion.Create(9, AllocatorParameters.ForPrivatePort(1, 64, 1, 64, 0, 0), isGlobal: false);
        var tx = RingFactory.CreateWithBuffers(region, region.Ledger.CreateOwner("tapx"), 64, isTx: true, ringId: 0, KringKind.TapTx, "tapx");
        RingFactory.State(region, tx).BackendParam0 = TapQueue.FormatPlainFrames;
        var layout = RegionLayout.Read(region.Mapping, region.MemSize, "test");
        var k = Kring.Open(region.Mapping, layout, tx.Offset, "test");
        using var efd = KickLine.Create("test");
        var ex = Assert.Throws<NetmapException>(() => TapQueue.Open(efd.WaitFd, k, null, region.Mapping, layout, "tapx"));
        Assert.Equal(Errno.EINVAL, ex.Errno);
        Assert.Contains("not bound to a TUN/TAP device", ex.Message);

        RingFactory.State(region, tx).BackendParam0 = 0; // not written by a TAP attachment
        var ex2 = Assert.Throws<NetmapException>(() => TapQueue.Open(efd.WaitFd, k, null, region.Mapping, layout, "tapx"));
        Assert.Contains("expected TapTx with format", ex2.Message);
    }
}
