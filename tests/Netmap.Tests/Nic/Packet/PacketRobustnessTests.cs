using Netmap.Abi;
using Netmap.Adapters.Nic.Packet;
using Netmap.Interop;

namespace Netmap.Tests.Nic.Packet;

/// <summary>
/// The kernel rings and the kring state are writable by every process that holds the queue: corrupt values are
/// counted and skipped, never followed outside the mapping; bad parameters are refused when the queue is opened;
/// the attachment leaves nothing behind, whether it fails or is disposed.
/// </summary>
public sealed class PacketRobustnessTests
{
    /// <summary>Sends <paramref name="count"/> frames and waits until the block under the RX cursor is retired to us
    /// holding exactly them. The kernel retires a block 1 ms after its first frame, so on a busy machine the frames
    /// may straddle two blocks: then everything is read and the frames are sent again.</summary>
    private static uint SendAndWaitForBlock(PacketBed bed, int first, int count)
    {
        for (int attempt = 0; attempt < 10; attempt++)
        {
            for (int i = 0; i < count; i++) bed.Peer.Send(PacketFrames.Make(first + i, 100));
            uint block = bed.Rx.State.BackendCursor0 & 0xffff;
            ref var bd = ref bed.Queue!.Rings.Block(block);
            var deadline = Environment.TickCount64 + 2000;
            while ((Volatile.Read(ref bd.BlockStatus) & Tpacket3Header.StatusUser) == 0 && Environment.TickCount64 < deadline)
                FdPoll.WaitReadable(bed.Fd, 20);
            if ((Volatile.Read(ref bd.BlockStatus) & Tpacket3Header.StatusUser) != 0 && bd.NumPkts == count) return block;
            Thread.Sleep(20);
            bed.ReceiveFrames(int.MaxValue, timeoutMs: 50); // drain, start again
        }
        Assert.Fail($"{count} frames never landed in one block");
        return 0;
    }

    private static void AssertStillReceives(PacketBed bed, int seq)
    {
        bed.Peer.Send(PacketFrames.Make(seq, 100));
        var got = bed.ReceiveFrames(1).Where(f => PacketFrames.IsTestFrame(f)).ToList();
        Assert.Equal(seq, PacketFrames.Seq(Assert.Single(got)));
    }

    [Fact]
    public void ABlockClaimingTooManyFrames_IsDroppedAndCounted()
    {
        using var bed = new PacketBed(slots: 64);
        uint block = SendAndWaitForBlock(bed, 0, 5);
        bed.Queue!.Rings.Block(block).NumPkts = 1_000_000;

        Assert.True(bed.RxSync());

        Assert.True(bed.Rx.Ring.IsEmpty);
        Assert.Equal(1ul, bed.Rx.State.BackendDrops);
        Assert.Equal(0u, bed.Queue.Rings.Block(block).BlockStatus); // given back to the kernel
        AssertStillReceives(bed, 100);
    }

    [Fact]
    public void AFrameHeaderPointingOutsideTheBlock_DropsTheRestOfTheBlock()
    {
        using var bed = new PacketBed(slots: 64);
        uint block = SendAndWaitForBlock(bed, 0, 5);
        var rings = bed.Queue!.Rings;
        ref var bd = ref rings.Block(block);
        uint second = bd.OffsetToFirstPkt + rings.RxFrame(block, bd.OffsetToFirstPkt).NextOffset;
        rings.RxFrame(block, second).SnapLen = 1_000_000; // its bytes would run past the block

        Assert.True(bed.RxSync());
        var got = new List<byte[]>();
        bed.Take(got);

        Assert.Equal(new[] { 0 }, got.Select(f => PacketFrames.Seq(f)).ToArray());
        Assert.Equal(4ul, bed.Rx.State.BackendDrops);
        AssertStillReceives(bed, 100);
    }

    [Fact]
    public void ABrokenFrameChain_DropsTheRestOfTheBlock()
    {
        using var bed = new PacketBed(slots: 64);
        uint block = SendAndWaitForBlock(bed, 0, 5);
        var rings = bed.Queue!.Rings;
        rings.RxFrame(block, rings.Block(block).OffsetToFirstPkt).NextOffset = rings.Geometry.BlockSize; // past the block

        Assert.True(bed.RxSync());
        var got = new List<byte[]>();
        bed.Take(got);

        Assert.Single(got);
        Assert.Equal(4ul, bed.Rx.State.BackendDrops);
        AssertStillReceives(bed, 100);
    }

    [Fact]
    public void ACorruptRxCursor_IsCountedAndResynced()
    {
        using var bed = new PacketBed(slots: 64);
        SendAndWaitForBlock(bed, 0, 3);
        bed.Rx.State.BackendCursor0 = 0xfffffff0;

        var got = bed.ReceiveFrames(3).Where(f => PacketFrames.IsTestFrame(f)).ToList();

        Assert.Equal(new[] { 0, 1, 2 }, got.Select(f => PacketFrames.Seq(f)).ToArray());
        Assert.Equal(1ul, bed.Rx.State.BadIndices);
        AssertStillReceives(bed, 100);
    }

    [Fact]
    public void ACorruptTxCursor_IsCountedAndSendingGoesOn()
    {
        using var bed = new PacketBed(slots: 64);
        bed.Tx.State.BackendCursor0 = uint.MaxValue;
        bed.Send(new[] { PacketFrames.Make(1, 100) });
        Assert.Equal(1ul, bed.Tx.State.BadIndices);
        Assert.Single(bed.Peer.ReceiveTestFrames(1));
    }

    [Fact]
    public void QueueOpen_RefusesParametersThatDoNotDescribeTheSocket()
    {
        using var bed = new PacketBed(slots: 64);
        ref var tx = ref bed.Tx.State;
        ref var rx = ref bed.Rx.State;
        var saved = (rx.BackendParam0, rx.BackendParam1, rx.BackendParam2, rx.BackendParam3);

        // The kernel's rings are another size: mmap says EINVAL.
        rx.BackendParam1 = tx.BackendParam1 += 1;
        var e = Assert.Throws<NetmapException>(() => PacketQueue.Open(bed.Fd, bed.Tx, bed.Rx, bed.Region.Mapping, bed.Layout, "x"));
        Assert.Equal(Errno.EINVAL, e.Errno);

        // TX and RX disagree.
        (tx.BackendParam0, tx.BackendParam1, tx.BackendParam2, tx.BackendParam3) = saved;
        rx.BackendParam2 += 16;
        e = Assert.Throws<NetmapException>(() => PacketQueue.Open(bed.Fd, bed.Tx, bed.Rx, bed.Region.Mapping, bed.Layout, "x"));
        Assert.Equal(Errno.EINVAL, e.Errno);

        // Not a geometry at all (block size not a power of two).
        rx.BackendParam0 = 12345;
        e = Assert.Throws<NetmapException>(() => PacketQueue.Open(bed.Fd, null, bed.Rx, bed.Region.Mapping, bed.Layout, "x"));
        Assert.Equal(Errno.EINVAL, e.Errno);
        Assert.Contains("block size", e.Message);

        (rx.BackendParam0, rx.BackendParam1, rx.BackendParam2, rx.BackendParam3) = saved;
        using var ok = PacketQueue.Open(bed.Fd, bed.Tx, bed.Rx, bed.Region.Mapping, bed.Layout, "x");
    }

    private static int PacketSocketsIn(string ns)
        => NamespaceThread.Run(ns, () => File.ReadAllLines("/proc/thread-self/net/packet").Length - 1);

    [Fact]
    public void AttachFailure_LeavesNoSocketAndNoProgram()
    {
        using var bed = new PacketBed(slots: 64, attach: false);
        int missing = bed.IfIndex + 1;
        var e = Assert.Throws<NetmapException>(() =>
            NamespaceThread.Run(bed.NsNetmap, () => PacketAttachment.Open(bed.Dev, missing, bed.Region, [bed.TxRing], [bed.RxRing])));

        Assert.Contains(bed.Dev, e.Message);
        Assert.Equal(0, PacketSocketsIn(bed.NsNetmap));
        Assert.Equal(0, TcxLinks.CountOwnOn(missing));
    }

    [Fact]
    public void Dispose_ClosesTheSocket_OnceTheQueueIsUnmappedToo()
    {
        using var bed = new PacketBed(slots: 64);
        Assert.Equal(1, PacketSocketsIn(bed.NsNetmap));
        bed.Detach();
        // A child process another test forks at this moment holds copies of our descriptors until its exec closes
        // them (CLOEXEC), so the socket may outlive Detach by a few milliseconds: wait, bounded.
        var deadline = Environment.TickCount64 + 3000;
        while (PacketSocketsIn(bed.NsNetmap) != 0 && Environment.TickCount64 < deadline) Thread.Sleep(20);
        Assert.Equal(0, PacketSocketsIn(bed.NsNetmap));
        Assert.Equal(0, TcxLinks.CountOwnOn(bed.IfIndex));
    }
}
