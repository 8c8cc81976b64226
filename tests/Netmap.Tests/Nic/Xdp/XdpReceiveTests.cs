namespace Netmap.Tests.Nic.Xdp;

/// <summary>RX through AF_XDP: what the peer puts on the wire arrives byte-exact in the netmap RX ring.</summary>
public sealed class XdpReceiveTests
{
    [Fact]
    public void FramesFromThePeer_ArriveByteExactInTheRxRing()
    {
        using var bed = new XdpBed();
        using var peer = bed.OpenPeer();
        var sent = Enumerable.Range(0, 300).Select(i => XdpFrames.Make(i, XdpFrames.LengthOf(i))).ToList();
        var got = new List<byte[]>();
        // Bursts smaller than the ring, drained in between: nothing may be dropped.
        foreach (var chunk in sent.Chunk(100))
        {
            foreach (var f in chunk) peer.Send(f);
            got.AddRange(bed.Receive(chunk.Length));
        }

        Assert.Equal(sent.Count, got.Count);
        for (int i = 0; i < sent.Count; i++) Assert.Equal(sent[i], got[i]);
        ref var ks = ref bed.Rx[0].State;
        Assert.Equal(0ul, ks.BackendDrops);
        Assert.Equal(0ul, ks.BadIndices);
        Assert.Equal((ulong)sent.Count, ks.Slots);
        Assert.Contains("AF_XDP copy", bed.Attachment!.Description);
    }

    [Fact]
    public void RxRing_NeverHandsOutMoreThanNMinusOneSlots_AndRefillsAfterRelease()
    {
        using var bed = new XdpBed(slots: 64);
        using var peer = bed.OpenPeer();
        for (int i = 0; i < 100; i++) peer.Send(XdpFrames.Make(i, 60));
        var ring = bed.Rx[0].Ring;
        var deadline = Environment.TickCount64 + 5000;
        while (ring.Space < 63 && Environment.TickCount64 < deadline) { bed.RxSync(); Thread.Sleep(1); }

        // The user holds 63 frames and releases none: the kernel has no buffer, the rest is dropped by the kernel.
        Assert.Equal(63u, ring.Space);
        for (uint i = 0; i < 63; i++) Assert.Equal(i, (uint)XdpFrames.Sequence(ring.Payload(ring.Slot(i))));
        Thread.Sleep(50);
        bed.RxSync();
        Assert.Equal(63u, ring.Space);

        // Release everything: new frames flow again.
        ring.Head = ring.Cur = ring.Tail;
        bed.RxSync();
        for (int i = 0; i < 10; i++) peer.Send(XdpFrames.Make(1000 + i, 60));
        var got = bed.Receive(10);
        Assert.Equal(Enumerable.Range(1000, 10), got.Select(f => XdpFrames.Sequence(f)));
    }
}
