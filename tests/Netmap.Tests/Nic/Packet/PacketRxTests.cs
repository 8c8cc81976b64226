using Netmap.Abi;

namespace Netmap.Tests.Nic.Packet;

/// <summary>Frames sent by the peer arrive byte-exact, in order, once, in the netmap RX ring (AF_PACKET backend).</summary>
public sealed class PacketRxTests
{
    [Fact]
    public void FramesFromThePeer_ArriveByteExactInOrder()
    {
        using var bed = new PacketBed();
        var sent = Enumerable.Range(0, 200).Select(i => PacketFrames.Make(i, PacketFrames.LengthOf(i))).ToList();
        foreach (var f in sent) bed.Peer.Send(f);

        var got = bed.ReceiveFrames(sent.Count).Where(f => PacketFrames.IsTestFrame(f)).ToList();

        Assert.Equal(sent.Count, got.Count);
        for (int i = 0; i < sent.Count; i++) Assert.True(sent[i].AsSpan().SequenceEqual(got[i]), $"frame {i} differs");
        Assert.Equal(0u, bed.KernelDrops());
        Assert.Equal(0ul, bed.Rx.State.BackendDrops);
    }

    [Fact]
    public void ManyFrames_AcrossBlocks_WithTheNetmapRingFullMostOfTheTime_NoneLostOrDuplicated()
    {
        // 2500 frames of 60..300 bytes take about 0.65 MB, a dozen 64 KiB blocks (the 256-slot ring gets 2 MiB of RX
        // ring: no kernel drop even if many blocks retire half full), while the netmap ring is read 40 frames per
        // rxsync: frames wait in half-read blocks.
        using var bed = new PacketBed(slots: 256);
        const int count = 2500;
        var sent = Enumerable.Range(0, count).Select(i => PacketFrames.Make(i, PacketFrames.LengthOf(i, 300))).ToList();
        foreach (var f in sent) bed.Peer.Send(f);

        var got = bed.ReceiveFrames(count, timeoutMs: 8000, perSync: 40).Where(f => PacketFrames.IsTestFrame(f)).ToList();

        Assert.Equal(0u, bed.KernelDrops());
        Assert.Equal(count, got.Count);
        for (int i = 0; i < count; i++)
        {
            Assert.Equal(i, PacketFrames.Seq(got[i]));
            Assert.True(sent[i].AsSpan().SequenceEqual(got[i]), $"frame {i} differs");
        }
        uint block = bed.Rx.State.BackendCursor0 & 0xffff;
        Assert.True(block >= 4, $"the reader should have gone through several blocks, is at block {block}");
        Assert.Equal(0ul, bed.Rx.State.BackendDrops);
    }

    [Fact]
    public void TwoProcessesSharingTheQueue_TakeTurns_NoFrameLostOrDuplicated()
    {
        // A second PacketQueue over a dup of the descriptor and its own mapping, as a second process would have:
        // the position in the kernel ring is in the kring state, so alternating syncs continue each other.
        using var bed = new PacketBed(slots: 128);
        int fd2 = PacketNetns.Dup(bed.Fd);
        using var other = Adapters.Nic.Packet.PacketQueue.Open(fd2, bed.Tx, bed.Rx, bed.Region.Mapping, bed.Layout, "second");
        try
        {
            const int count = 1500;
            for (int i = 0; i < count; i++) bed.Peer.Send(PacketFrames.Make(i, PacketFrames.LengthOf(i, 400)));
            var got = new List<byte[]>();
            var deadline = Environment.TickCount64 + 8000;
            bool turn = false;
            while (got.Count < count && Environment.TickCount64 < deadline)
            {
                Assert.True(turn ? other.RxSync(bed.Rx, 2) : bed.RxSync());
                turn = !turn;
                if (bed.Take(got, 30) == 0) Interop.FdPoll.WaitReadable(bed.Fd, 10);
            }
            var frames = got.Where(f => PacketFrames.IsTestFrame(f)).ToList();
            Assert.Equal(count, frames.Count);
            for (int i = 0; i < count; i++) Assert.Equal(i, PacketFrames.Seq(frames[i]));
            Assert.Equal(0u, bed.KernelDrops());
        }
        finally { PacketNetns.Close(fd2); }
    }

    [Fact]
    public void FramesLongerThanABuffer_AreChainedWithMoreFrag()
    {
        using var bed = new PacketBed(slots: 128, mtu: 5000);
        var sent = new[] { 2048, 2049, 4000, 5014, 100 }.Select((len, i) => PacketFrames.Make(i, len)).ToList();
        foreach (var f in sent) bed.Peer.Send(f);

        var got = bed.ReceiveFrames(sent.Count).Where(f => PacketFrames.IsTestFrame(f)).ToList();

        Assert.Equal(sent.Count, got.Count);
        for (int i = 0; i < sent.Count; i++) Assert.True(sent[i].AsSpan().SequenceEqual(got[i]), $"frame {i} ({sent[i].Length} B) differs");
        // 1 + 2 + 2 + 3 + 1 slots of 2048 bytes.
        Assert.Equal(9ul, bed.Rx.State.Slots);
    }

    [Fact]
    public void VlanTaggedFrames_KeepTheirTag()
    {
        // The kernel takes the 802.1Q tag off before packet sockets see the frame; the ring gets it back in place.
        using var bed = new PacketBed(slots: 64);
        var tagged = PacketFrames.MakeTagged(7, 300, tci: 0x2064);
        var untagged = PacketFrames.Make(8, 300);
        bed.Peer.Send(tagged);
        bed.Peer.Send(untagged);

        var got = bed.ReceiveFrames(2);

        Assert.Equal(2, got.Count);
        Assert.Equal(tagged, got[0]);
        Assert.Equal(untagged, got[1]);
    }

    [Fact]
    public void ReleasedSlots_LoseBufferChanged_AndAnInvalidBufferIsHandedBackEmpty()
    {
        using var bed = new PacketBed(slots: 64);
        var ring = bed.Rx.Ring;
        bed.Peer.Send(PacketFrames.Make(0, 100));
        var deadline = Environment.TickCount64 + 5000;
        while (ring.IsEmpty && Environment.TickCount64 < deadline) { Interop.FdPoll.WaitReadable(bed.Fd, 20); bed.RxSync(); }
        Assert.False(ring.IsEmpty);

        // The user swaps a buffer into the slot it releases (NS_BUF_CHANGED) and breaks the next one.
        ref var r = ref ring.Slot(ring.Head);
        r.Flags |= SlotFlags.BufferChanged;
        ring.Head = ring.Cur = ring.Next(ring.Head);
        ref var broken = ref ring.Slot(ring.Head);
        uint good = broken.BufferIndex;
        broken.BufferIndex = 1; // reserved: never valid
        ulong badBefore = bed.Rx.State.BadIndices;

        bed.Peer.Send(PacketFrames.Make(1, 100));
        var got = bed.ReceiveFrames(2);

        Assert.Equal(SlotFlags.None, r.Flags & SlotFlags.BufferChanged);
        Assert.Equal(2, got.Count);
        Assert.Empty(got[0]);                        // the broken slot, handed back empty
        Assert.Equal(1, PacketFrames.Seq(got[1]));   // the frame, in the next slot
        Assert.Equal(badBefore + 1, bed.Rx.State.BadIndices);
        broken.BufferIndex = good;
    }

    [Fact]
    public void ASingleFrame_WakesAPollerOnTheQueueFd_WithinMilliseconds()
    {
        // A block that is not full is handed over by the kernel's 1 ms timer: a lone frame must not wait for more.
        using var bed = new PacketBed(slots: 64);
        var times = new List<double>();
        for (int i = 0; i < 5; i++)
        {
            long t0 = System.Diagnostics.Stopwatch.GetTimestamp();
            bed.Peer.Send(PacketFrames.Make(i, 60));
            short ev = Interop.FdPoll.WaitReadable(bed.Queue!.WaitFd, 2000);
            times.Add(System.Diagnostics.Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
            Assert.NotEqual(0, ev & 1);
            var got = new List<byte[]>();
            Assert.True(bed.RxSync());
            Assert.Equal(1, bed.Take(got));
            Assert.Equal(i, PacketFrames.Seq(got[0]));
        }
        times.Sort();
        Assert.True(times[2] < 100, $"median wake-up {times[2]:F1} ms");
    }
}
