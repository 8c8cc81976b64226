using Netmap.Abi;

namespace Netmap.Tests.Nic.Packet;

/// <summary>Frames put in the netmap TX ring arrive byte-exact, in order, once, at the peer (AF_PACKET backend).</summary>
public sealed class PacketTxTests
{
    [Fact]
    public void FramesFromTheTxRing_ArriveByteExactAtThePeer()
    {
        using var bed = new PacketBed(slots: 128);
        var sent = Enumerable.Range(0, 300).Select(i => PacketFrames.Make(i, PacketFrames.LengthOf(i))).ToList();

        bed.Send(sent);
        var got = bed.Peer.ReceiveTestFrames(sent.Count);

        Assert.Equal(sent.Count, got.Count);
        for (int i = 0; i < sent.Count; i++) Assert.True(sent[i].AsSpan().SequenceEqual(got[i]), $"frame {i} differs");
        Assert.Equal(0ul, bed.Tx.State.BackendDrops);
    }

    [Fact]
    public void CopiedSlots_AreFreeAtOnce()
    {
        using var bed = new PacketBed(slots: 64);
        var ring = bed.Tx.Ring;
        for (int i = 0; i < 10; i++) Assert.True(bed.Put(PacketFrames.Make(i, 100)));
        Assert.Equal(53u, ring.Space);

        Assert.True(bed.TxSync());

        Assert.Equal(63u, ring.Space); // hwtail = hwcur - 1
        Assert.Equal(10ul, bed.Tx.State.Slots);
        Assert.Equal(10, bed.Peer.ReceiveTestFrames(10).Count);
    }

    [Fact]
    public void ManyMoreFramesThanTheRingsHold_AllArriveInOrder()
    {
        using var bed = new PacketBed(slots: 64);
        const int count = 3000;
        var received = new List<byte[]>();
        var receiver = Task.Run(() => received.AddRange(bed.Peer.ReceiveTestFrames(count, quietMs: 2000)));

        bed.Send(Enumerable.Range(0, count).Select(i => PacketFrames.Make(i, PacketFrames.LengthOf(i, 800))));
        Assert.True(receiver.Wait(10_000));

        Assert.Equal(count, received.Count);
        for (int i = 0; i < count; i++) Assert.Equal(i, PacketFrames.Seq(received[i]));
    }

    [Fact]
    public void MoreFragChains_AreGatheredIntoOneFrame()
    {
        using var bed = new PacketBed(slots: 64, mtu: 5000);
        var sent = new[] { PacketFrames.Make(0, 3000), PacketFrames.Make(1, 60), PacketFrames.Make(2, 5014), PacketFrames.Make(3, 1000) };

        bed.Send(sent.Take(2));                                 // whole buffers: 2 + 1 slots
        bed.Send(sent.Skip(2), fragment: 333);                  // small fragments: 16 + 4 slots
        var got = bed.Peer.ReceiveTestFrames(sent.Length);

        Assert.Equal(sent.Length, got.Count);
        for (int i = 0; i < sent.Length; i++) Assert.Equal(sent[i], got[i]);
        Assert.Equal(23ul, bed.Tx.State.Slots);
    }

    [Fact]
    public void AnOpenChainAtHead_WaitsForItsEnd()
    {
        using var bed = new PacketBed(slots: 64);
        var ring = bed.Tx.Ring;
        var frame = PacketFrames.Make(5, 200);
        ref var a = ref ring.Slot(0);
        frame.AsSpan(0, 100).CopyTo(ring.Buffer(a.BufferIndex));
        a.Length = 100; a.Flags = SlotFlags.MoreFragments;
        ring.Head = ring.Cur = 1;

        Assert.True(bed.TxSync());
        Assert.Equal(0u, bed.Tx.State.HwCur);       // nothing sent yet
        Assert.Null(bed.Peer.Receive(200));

        ref var b = ref ring.Slot(1);
        frame.AsSpan(100).CopyTo(ring.Buffer(b.BufferIndex));
        b.Length = 100; b.Flags = SlotFlags.None;
        ring.Head = ring.Cur = 2;
        Assert.True(bed.TxSync());

        Assert.Equal(frame, Assert.Single(bed.Peer.ReceiveTestFrames(1)));
        Assert.Equal(2u, bed.Tx.State.HwCur);
    }

    [Fact]
    public void BadSlotsAndBadLengths_AreDroppedAndCounted_TheRestIsSent()
    {
        using var bed = new PacketBed(slots: 64);
        var ring = bed.Tx.Ring;
        Assert.True(bed.Put(PacketFrames.Make(0, 100)));
        Assert.True(bed.Put(PacketFrames.Make(1, 100)));   // gets an invalid buffer below
        Assert.True(bed.Put(new byte[10]));                 // shorter than an Ethernet header
        Assert.True(bed.Put(PacketFrames.Make(3, 100)));   // gets a length above the buffer size below
        Assert.True(bed.Put(PacketFrames.Make(4, 100)));
        ref var s1 = ref ring.Slot(1);
        uint saved = s1.BufferIndex;
        s1.BufferIndex = ring.BufferCount + 5;
        ring.Slot(3).Length = (ushort)(ring.BufferSize + 1);

        Assert.True(bed.TxSync());
        var got = bed.Peer.ReceiveTestFrames(5, quietMs: 500);

        Assert.Equal(new[] { 0, 4 }, got.Select(f => PacketFrames.Seq(f)).ToArray());
        Assert.Equal(3ul, bed.Tx.State.BackendDrops);
        Assert.Equal(2ul, bed.Tx.State.BadIndices);
        Assert.Equal(63u, ring.Space);
        s1.BufferIndex = saved;
    }

    [Fact]
    public void AFrameTheKernelRefuses_DoesNotStopTheRing()
    {
        // 1800 bytes fit a TX frame (a 2048-byte buffer) but not the 1500-byte MTU: the kernel discards it
        // (PACKET_LOSS) instead of leaving it in WRONG_FORMAT, which would stop every later frame.
        using var bed = new PacketBed(slots: 64);
        bed.Send(new[] { PacketFrames.Make(0, 1800), PacketFrames.Make(1, 100), PacketFrames.Make(2, 1514) });
        var got = bed.Peer.ReceiveTestFrames(3, quietMs: 500);
        Assert.Equal(new[] { 1, 2 }, got.Select(f => PacketFrames.Seq(f)).ToArray());
        bed.Send(new[] { PacketFrames.Make(3, 100) });
        Assert.Equal(3, PacketFrames.Seq(Assert.Single(bed.Peer.ReceiveTestFrames(1))));
    }
}
