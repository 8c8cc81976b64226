using Netmap.Abi;

namespace Netmap.Tests.Nic.Xdp;

/// <summary>TX through AF_XDP: what the netmap TX ring holds arrives byte-exact at the peer, and every slot comes back.</summary>
public sealed class XdpTransmitTests
{
    [Fact]
    public void FramesFromTheTxRing_ArriveByteExactAtThePeer()
    {
        using var bed = new XdpBed();
        using var peer = bed.OpenPeer();
        var sent = Enumerable.Range(0, 600).Select(i => XdpFrames.Make(i, XdpFrames.LengthOf(i))).ToList();
        var received = Task.Run(() => peer.ReceiveMany(sent.Count, quietMs: 2000));
        // More frames than slots: the ring wraps and is refilled from completions.
        bed.Transmit(sent);
        var got = received.Result;

        Assert.Equal(sent.Count, got.Count);
        for (int i = 0; i < sent.Count; i++) Assert.Equal(sent[i], got[i]);
        ref var ks = ref bed.Tx[0].State;
        Assert.Equal((ulong)sent.Count, ks.Slots);
        Assert.Equal(0ul, ks.BackendDrops);
        Assert.Equal(0ul, ks.BadIndices);
        var ring = bed.Tx[0].Ring;
        Assert.Equal(ring.Next(ring.Tail), ring.Head);
    }

    [Fact]
    public void ABurstLargerThanTheKernelsBatch_GoesOutInOneSync()
    {
        // The generic path sends at most 32 frames per kick: one txsync must kick until the ring is empty.
        using var bed = new XdpBed(slots: 512);
        using var peer = bed.OpenPeer();
        for (int i = 0; i < 400; i++) Assert.True(bed.Put(XdpFrames.Make(i, 60)));
        bed.TxSync();
        var got = peer.ReceiveMany(400);
        Assert.Equal(Enumerable.Range(0, 400), got.Select(f => XdpFrames.Sequence(f)));
    }

    [Fact]
    public void UnsendableSlots_AreCountedAndReturned_AndTheRestIsSent()
    {
        using var bed = new XdpBed(slots: 64);
        using var peer = bed.OpenPeer();
        var ring = bed.Tx[0].Ring;
        Assert.True(bed.Put(XdpFrames.Make(0, 60)));
        Assert.True(bed.Put(XdpFrames.Make(1, 60)));
        ring.Slot(1).BufferIndex = 0;                                  // invalid buffer
        Assert.True(bed.Put(XdpFrames.Make(2, 60)));
        ring.Slot(2).Length = 3000;                                    // longer than a buffer
        Assert.True(bed.Put(XdpFrames.Make(3, 60)));
        ring.Slot(3).Flags |= SlotFlags.MoreFragments;                 // a two-slot frame: not carried
        Assert.True(bed.Put(XdpFrames.Make(4, 60)));
        Assert.True(bed.Put(XdpFrames.Make(5, 60)));
        Assert.True(bed.Put(XdpFrames.Make(6, 60)));
        ring.Slot(6).Flags |= SlotFlags.MoreFragments;                 // incomplete frame at head: held back
        bed.TxSync();

        var got = peer.ReceiveMany(3, quietMs: 500);
        Assert.Equal([0, 5], got.Select(f => XdpFrames.Sequence(f)));
        ref var ks = ref bed.Tx[0].State;
        Assert.Equal(1ul, ks.BadIndices);
        Assert.Equal(2ul, ks.BackendDrops);                            // the long slot and the two-slot frame
        Assert.Equal(6u, ks.HwCur);                                    // slot 6 waits for its last fragment
        Assert.Equal(5u, ring.Tail);                                   // slots 0..5 are back

        // Completing the frame drops it (counted once) and frees its slots.
        Assert.True(bed.Put(XdpFrames.Make(7, 60)));
        bed.FlushTx();
        Assert.Equal(3ul, ks.BackendDrops);
        Assert.Empty(peer.ReceiveMany(1, quietMs: 200));
    }
}
