using Netmap.Abi;
using Netmap.Interop;

namespace Netmap.Tests.Nic.Xdp;

/// <summary>Buffer accounting: the rings' slots always hold each buffer exactly once, whatever the kernel and the user do.</summary>
public sealed class XdpBufferAccountingTests
{
    private static void AssertSameBuffers(IEnumerable<uint> expected, IEnumerable<uint> actual)
    {
        var a = actual.ToArray();
        Assert.Equal(a.Length, a.Distinct().Count());
        Assert.Equal(expected.Order(), a.Order());
    }

    [Fact]
    public void ManySyncsInBothDirections_LoseAndDuplicateNoBuffer()
    {
        using var bed = new XdpBed(slots: 64);
        using var peer = bed.OpenPeer();
        var rxBefore = bed.Buffers(bed.RxRings[0]);
        var txBefore = bed.Buffers(bed.TxRings[0]);
        var received = new List<byte[]>();
        int seq = 0;
        for (int round = 0; round < 40; round++)
        {
            for (int i = 0; i < 40; i++) peer.Send(XdpFrames.Make(seq++, 64 + i));
            received.AddRange(bed.Receive(40));
            bed.Transmit(Enumerable.Range(0, 50).Select(i => XdpFrames.Make(100_000 + i, 60)));
            while (peer.Receive(0) is not null) { }
        }
        Assert.Equal(Enumerable.Range(0, seq), received.Select(f => XdpFrames.Sequence(f)));
        AssertSameBuffers(rxBefore, bed.Buffers(bed.RxRings[0]));
        AssertSameBuffers(txBefore, bed.Buffers(bed.TxRings[0]));
        // Copy mode returns buffers in order: every slot still holds its own buffer.
        Assert.Equal(rxBefore, bed.Buffers(bed.RxRings[0]));
    }

    [Fact]
    public void ZeroCopyForwarding_SwappingRxAndTxBuffers_KeepsEveryBufferExactlyOnce()
    {
        using var bed = new XdpBed(slots: 128);
        using var peer = bed.OpenPeer();
        var all = bed.Buffers(bed.RxRings[0]).Concat(bed.Buffers(bed.TxRings[0])).ToArray();
        var rx = bed.Rx[0].Ring;
        var tx = bed.Tx[0].Ring;
        var back = new List<byte[]>();
        var sent = new List<byte[]>();
        for (int round = 0; round < 30; round++)
        {
            for (int i = 0; i < 50; i++) { var f = XdpFrames.Make(round * 50 + i, XdpFrames.LengthOf(i)); sent.Add(f); peer.Send(f); }
            int forwarded = 0;
            var deadline = Environment.TickCount64 + 5000;
            while (forwarded < 50 && Environment.TickCount64 < deadline)
            {
                bed.RxSync();
                bed.TxSync();
                // bridge.c: swap the RX slot's buffer into the TX slot, both flagged NS_BUF_CHANGED.
                while (rx.Head != rx.Tail && tx.Space > 0)
                {
                    ref var rs = ref rx.Slot(rx.Head);
                    ref var ts = ref tx.Slot(tx.Head);
                    (rs.BufferIndex, ts.BufferIndex) = (ts.BufferIndex, rs.BufferIndex);
                    ts.Length = rs.Length;
                    rs.Flags |= SlotFlags.BufferChanged;
                    ts.Flags |= SlotFlags.BufferChanged;
                    rx.Head = rx.Cur = rx.Next(rx.Head);
                    tx.Head = tx.Cur = tx.Next(tx.Head);
                    forwarded++;
                }
                if (rx.Head == rx.Tail) Thread.Sleep(1);
            }
            bed.RxSync();
            bed.FlushTx();
            back.AddRange(peer.ReceiveMany(50));
        }
        Assert.Equal(sent.Count, back.Count);
        for (int i = 0; i < sent.Count; i++) Assert.Equal(sent[i], back[i]);
        AssertSameBuffers(all, bed.Buffers(bed.RxRings[0]).Concat(bed.Buffers(bed.TxRings[0])));
    }

    [Fact]
    public void BuffersReturnedOutOfOrder_AreSwappedIntoPlace_AndFramesStayIntact()
    {
        using var bed = new XdpBed(slots: 64);
        using var peer = bed.OpenPeer();
        var rx = bed.Rx[0].Ring;
        var before = bed.Buffers(bed.RxRings[0]);
        // Kernel-owned slots 0 and 5 trade buffers: the kernel now returns slot 5's buffer first (as a driver that
        // recycles buffers out of order would).
        (rx.Slot(0).BufferIndex, rx.Slot(5).BufferIndex) = (rx.Slot(5).BufferIndex, rx.Slot(0).BufferIndex);
        var sent = Enumerable.Range(0, 10).Select(i => XdpFrames.Make(i, 200 + i)).ToList();
        foreach (var f in sent) peer.Send(f);
        var deadline = Environment.TickCount64 + 5000;
        while (rx.Space < 10 && Environment.TickCount64 < deadline) { bed.RxSync(); Thread.Sleep(1); }

        Assert.Equal(10u, rx.Space);
        for (uint i = 0; i < 10; i++) Assert.Equal(sent[(int)i], rx.Payload(rx.Slot(i)).ToArray());
        Assert.Equal(before[0], rx.Slot(0).BufferIndex);
        Assert.True((rx.Slot(0).Flags & SlotFlags.BufferChanged) != 0);
        Assert.Equal(0ul, bed.Rx[0].State.BackendDrops);
        AssertSameBuffers(before, bed.Buffers(bed.RxRings[0]));
    }

    [Fact]
    public void AReleasedSlotWithoutAValidBuffer_IsCounted_AndNoBufferIsEverDuplicated()
    {
        using var bed = new XdpBed(slots: 64);
        using var peer = bed.OpenPeer();
        var rx = bed.Rx[0].Ring;
        for (int i = 0; i < 10; i++) peer.Send(XdpFrames.Make(i, 60));
        var deadline = Environment.TickCount64 + 5000;
        while (rx.Space < 10 && Environment.TickCount64 < deadline) { bed.RxSync(); Thread.Sleep(1); }
        Assert.Equal(10u, rx.Space);
        uint kept = rx.Slot(3).BufferIndex;
        rx.Slot(3).BufferIndex = 0;               // the user keeps slot 3's buffer and hands the slot back empty
        rx.Head = rx.Cur = rx.Tail;
        bed.RxSync();
        Assert.Equal(1ul, bed.Rx[0].State.BadIndices);

        // The empty slot stays with the kernel (one slot less capacity); frames keep flowing, all intact.
        var got = new List<byte[]>();
        var sent = Enumerable.Range(100, 500).Select(i => XdpFrames.Make(i, 60 + i % 100)).ToList();
        foreach (var part in sent.Chunk(50))
        {
            foreach (var f in part) peer.Send(f);
            got.AddRange(bed.Receive(part.Length));
        }
        Assert.Equal(sent, got);
        var held = bed.Buffers(bed.RxRings[0]);
        Assert.Single(held, b => b == 0);
        Assert.DoesNotContain(kept, held);
        Assert.Equal(held.Length - 1, held.Where(b => b != 0).Distinct().Count());
        Assert.Equal(0ul, bed.Rx[0].State.BackendDrops);
    }

    [Fact]
    public void HostileRxDescriptors_AreCountedAndDropped_AndNothingDuplicates()
    {
        using var bed = new XdpBed(slots: 64);
        using var peer = bed.OpenPeer();
        int fd = bed.Attachment!.QueueFd(0);
        Assert.Equal(0, XskSocket.MmapOffsets(fd, out var off));
        using var ring = XskRing.Map(fd, XskSocket.PgOffRxRing, off.Rx, 64, 16, "test", "RX");
        var before = bed.Buffers(bed.RxRings[0]);
        for (int i = 0; i < 4; i++) peer.Send(XdpFrames.Make(i, 100));
        var deadline = Environment.TickCount64 + 5000;
        while (Volatile.Read(ref ring.Producer) - ring.Consumer < 4 && Environment.TickCount64 < deadline) Thread.Sleep(1);
        uint c = ring.Consumer;
        ring.Desc(c + 1).Len = 5000;       // frame 1: longer than its chunk
        ring.Desc(c + 2).Addr = 0;          // frame 2: a reserved buffer (its real buffer is lost to the kernel)
        var got = bed.Receive(2, timeoutMs: 500);
        Assert.Equal([0, 3], got.Select(f => XdpFrames.Sequence(f)));
        Assert.Equal(2ul, bed.Rx[0].State.BackendDrops);

        // Traffic goes on; every frame intact; the RX ring still holds each buffer once.
        var sent = Enumerable.Range(10, 200).Select(i => XdpFrames.Make(i, 60 + i)).ToList();
        foreach (var part in sent.Chunk(50))
        {
            foreach (var f in part) peer.Send(f);
            got.AddRange(bed.Receive(part.Length));
        }
        Assert.Equal(sent, got.Skip(2));
        AssertSameBuffers(before, bed.Buffers(bed.RxRings[0]));
    }

    [Fact]
    public void CompletionsOutOfOrder_SwapTheTxBuffersBack_AndEveryPostedFrameGoesOut()
    {
        using var bed = new XdpBed(slots: 64);
        var tx = bed.Tx[0].Ring;
        var before = bed.Buffers(bed.TxRings[0]);
        // Carrier off: each kick completes one frame unsent (EBUSY), the others stay posted and pending.
        bed.Lab.Exec(bed.PeerNs, $"ip link set {bed.PeerDev} down");
        for (int i = 0; i < 4; i++) Assert.True(bed.Put(XdpFrames.Make(i, 60 + i)));
        bed.TxSync();
        Assert.Equal(4u, bed.Tx[0].State.HwCur);
        Assert.True(tx.Tail < 3, $"tail {tx.Tail}: nothing stayed pending");
        uint firstPending = tx.Next(tx.Tail);
        // The kernel will complete the buffer of the first pending slot first: make it look out of order.
        (tx.Slot(firstPending).BufferIndex, tx.Slot(3).BufferIndex) = (tx.Slot(3).BufferIndex, tx.Slot(firstPending).BufferIndex);
        bed.Lab.Exec(bed.PeerNs, $"ip link set {bed.PeerDev} up");
        Thread.Sleep(200);
        using var peer = bed.OpenPeer(); // (a socket bound to a downed interface reports ENETDOWN once)
        bed.FlushTx();

        Assert.Equal(0ul, bed.Tx[0].State.BadIndices);
        Assert.Equal(before, bed.Buffers(bed.TxRings[0]));
        Assert.True((tx.Slot(firstPending).Flags & SlotFlags.BufferChanged) != 0);
        var got = peer.ReceiveMany(4, quietMs: 500);
        Assert.Equal(Enumerable.Range((int)firstPending, 4 - (int)firstPending), got.Select(f => XdpFrames.Sequence(f)));
    }
}
