using Netmap.Abi;
using Netmap.Interop;
using Netmap.Rings;
using Xunit.Abstractions;

namespace Netmap.Tests.Nic.Xdp;

/// <summary>XdpAttachment: what it creates, what it refuses, and that it leaves nothing behind.</summary>
public sealed class XdpAttachmentTests(ITestOutputHelper output)
{
    [Fact]
    public void Open_AttachesTheProgram_WritesTheKringGeometry_AndDisposeDetachesIt()
    {
        using var bed = new XdpBed(slots: 200);
        var a = bed.Attachment!;
        output.WriteLine(a.Description);
        Assert.Equal(1, a.QueueCount);
        Assert.True(bed.Lab.HasXdpProgram(bed.NetmapNs, bed.Dev));
        Assert.Contains("AF_XDP", a.Description);
        Assert.Contains(a.NativeXdp ? "native XDP" : "generic XDP", a.Description);
        foreach (var k in new[] { bed.Rx[0], bed.Tx[0] })
        {
            ref var ks = ref k.State;
            Assert.Equal(0u, ks.BackendQueue);
            Assert.Equal(256u, ks.BackendParam0);
            Assert.Equal(256u, ks.BackendParam1);
            Assert.NotEqual(0u, ks.BackendParam2 & XskSocket.BindUseNeedWakeup);
            Assert.Equal(2048u, ks.BackendParam3);
        }
        bed.Detach();
        Assert.True(bed.Lab.XdpProgramGone(bed.NetmapNs, bed.Dev));
    }

    [Fact]
    public void Open_OnADownInterface_FailsNamingTheCause_AndLeavesNothing()
    {
        using var bed = new XdpBed(attach: false);
        bed.Lab.Exec(bed.NetmapNs, $"ip link set {bed.Dev} down");
        var e = Assert.Throws<NetmapException>(() => bed.OpenAttachment());
        output.WriteLine(e.Message);
        Assert.Contains(bed.Dev, e.Message);
        Assert.Contains("down", e.Message);
        Assert.Equal(100, (int)e.Errno);
        Assert.True(bed.Lab.XdpProgramGone(bed.NetmapNs, bed.Dev));
    }

    [Fact]
    public void SecondOpen_OnTheSameInterface_FailsWithEbusy_AndTheFirstKeepsWorking()
    {
        using var bed = new XdpBed();
        using var peer = bed.OpenPeer();
        var e = Assert.Throws<NetmapException>(() => bed.OpenAttachment());
        output.WriteLine(e.Message);
        Assert.Equal(Errno.EBUSY, e.Errno);
        Assert.Contains("already has an XDP program", e.Message);

        peer.Send(XdpFrames.Make(1, 100));
        var got = bed.Receive(1);
        Assert.Single(got);
        bed.Detach();
        Assert.True(bed.Lab.XdpProgramGone(bed.NetmapNs, bed.Dev));
    }

    [Fact]
    public void ABindFailure_AfterTheProgramWasAttached_LeavesNoProgramAndFreesTheQueue()
    {
        using var bed = new XdpBed(attach: false);
        // Someone else's XSK already holds queue 0 (no program needed for that).
        int other = NamespaceThread.Run(bed.NetmapNs, () =>
        {
            int fd = XskSocket.Create();
            Assert.True(fd >= 0);
            Assert.Equal(0, XskSocket.RegisterUmem(fd, bed.Region.Mapping, bed.Region.Buffers.Offset, 64 * 2048, 2048));
            foreach (int ring in new[] { XskSocket.XDP_UMEM_FILL_RING, XskSocket.XDP_UMEM_COMPLETION_RING, XskSocket.XDP_RX_RING, XskSocket.XDP_TX_RING })
                Assert.Equal(0, XskSocket.SetRingSize(fd, ring, 64));
            Assert.Equal(0, XskSocket.Bind(fd, LinkInfo.IndexOf(bed.Dev), 0, XskSocket.BindCopy));
            return fd;
        });
        try
        {
            var e = Assert.Throws<NetmapException>(() => bed.OpenAttachment());
            output.WriteLine(e.Message);
            Assert.Equal(Errno.EBUSY, e.Errno);
            Assert.Contains("queue 0 already has an AF_XDP socket", e.Message);
            Assert.True(bed.Lab.XdpProgramGone(bed.NetmapNs, bed.Dev));
        }
        finally { Libc.close(other); }
        // Nothing of the failed open holds the queue or the hook: a new open succeeds and works.
        bed.Attach();
        using var peer = bed.OpenPeer();
        peer.Send(XdpFrames.Make(5, 90));
        Assert.Equal(5, XdpFrames.Sequence(Assert.Single(bed.Receive(1))));
    }

    [Fact]
    public void CloseAndReopenAtOnce_Works()
    {
        // The kernel frees a closed XSK's queue asynchronously: Open waits for it instead of failing with EBUSY.
        using var bed = new XdpBed(slots: 64);
        using var peer = bed.OpenPeer();
        for (int i = 0; i < 3; i++)
        {
            bed.Detach();
            bed.Attach();
            peer.Send(XdpFrames.Make(i, 70));
            Assert.Equal(i, XdpFrames.Sequence(Assert.Single(bed.Receive(1))));
        }
    }

    [Fact]
    public void TwoQueues_GetOneSocketEach_AndFramesOfEitherQueueArrive()
    {
        using var bed = new XdpBed(slots: 128, queues: 2);
        var a = bed.Attachment!;
        Assert.Equal(2, a.QueueCount);
        Assert.NotEqual(a.QueueFd(0), a.QueueFd(1));
        Assert.Equal(1u, bed.Rx[1].State.BackendQueue);
        Assert.Equal(1u, bed.Tx[1].State.BackendQueue);

        using var peer = bed.OpenPeer();
        var got = new List<byte[]>();
        for (int i = 0; i < 50; i++) peer.Send(XdpFrames.Make(i, 80));
        var deadline = Environment.TickCount64 + 5000;
        while (got.Count < 50 && Environment.TickCount64 < deadline)
        {
            if (bed.Drain(got, 0) + bed.Drain(got, 1) == 0) Thread.Sleep(1);
        }
        Assert.Equal(Enumerable.Range(0, 50), got.Select(f => XdpFrames.Sequence(f)).Order());

        // Both queues transmit.
        bed.Transmit([XdpFrames.Make(100, 70)], q: 0);
        bed.Transmit([XdpFrames.Make(101, 70)], q: 1);
        var back = peer.ReceiveMany(2);
        Assert.Equal([100, 101], back.Select(f => XdpFrames.Sequence(f)).Order());
    }

    [Fact]
    public void QueueOpen_OnADescriptorThatIsNotAnXsk_FailsClearly()
    {
        using var bed = new XdpBed(attach: false);
        var e = Assert.Throws<NetmapException>(() => Netmap.Adapters.Nic.Xdp.XdpQueue.Open(0, bed.Tx[0], bed.Rx[0], bed.Region.Mapping, bed.Layout, bed.Dev));
        output.WriteLine(e.Message);
        Assert.Contains("not an AF_XDP socket", e.Message);
    }
}
