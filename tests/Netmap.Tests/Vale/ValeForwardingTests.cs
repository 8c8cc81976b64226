using Netmap.Abi;
using Netmap.Api;
using static Netmap.Tests.Vale.ValeFrames;

namespace Netmap.Tests.Vale;

/// <summary>
/// The VALE data path (spec 5, forwarding): bytes copied exactly, a full receiver drops what does not fit (no
/// back-pressure) and counts it, and the sender's TX ring is entirely free once the switch has forwarded —
/// at the return of TxSync with an embedded engine, when Poll(Out) returns through netmapd.
/// </summary>
public class ValeForwardingTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void RandomSizes_ArriveByteExact(bool daemon)
    {
        using var h = new ValeTestHost(daemon);
        using var a = NetmapPort.Open("vale0:a", h.Host);
        using var b = NetmapPort.Open("vale0:b", h.Host);
        Assert.Equal(2048u, a.TxRings[0].BufferSize);
        Send(b, Frame(Broadcast, Mac(0xb))); // learned: a's frames go to b as unicast
        Assert.Single(Receive(a, 1));

        var rnd = new Random(1234);
        for (int round = 0; round < 3; round++) // 1500 frames: both rings wrap
        {
            var sent = new List<byte[]>();
            for (int i = 0; i < 500; i++)
            {
                var f = Frame(Mac(0xb), Mac(0xa), rnd.Next(14, 2049), tag: (byte)i);
                rnd.NextBytes(f.AsSpan(14));
                Assert.True(a.Inject(f));
                sent.Add(f);
            }
            sent.Add(Frame(Mac(0xb), Mac(0xa), 2048));
            sent.Add(Frame(Mac(0xb), Mac(0xa), 14));
            Assert.True(a.Inject(sent[^2]) && a.Inject(sent[^1]));
            WaitTxDrained(a);
            var got = Receive(b, sent.Count);
            b.RxSync(); // give the slots back before the next round
            Assert.Equal(sent.Count, got.Count);
            for (int i = 0; i < sent.Count; i++) Assert.True(sent[i].AsSpan().SequenceEqual(got[i]), $"round {round} frame {i} ({sent[i].Length} bytes) differs");
        }
        var st = Stats(h, "vale0:b");
        Assert.Equal(0UL, st.RxDrops);
        Assert.Equal(3UL * 502, Stats(h, "vale0:a").TxPackets);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void BurstLargerThanTheReceiverRing_DeliversNumSlotsMinusOne_AndCountsTheRest(bool daemon)
    {
        using var h = new ValeTestHost(daemon);
        using var a = NetmapPort.Open("vale0:a", h.Host);
        using var b = NetmapPort.Open("vale0:b", h.Host); // bound, never reads until the end
        uint n = b.RxRings[0].NumSlots;
        Assert.Equal(1024u, n);

        int sent = 0;
        while (sent < 1500)
        {
            while (sent < 1500 && a.Inject(Frame(Broadcast, Mac(0xa), 60 + sent % 100, tag: (byte)sent))) sent++;
            WaitTxDrained(a); // no back-pressure: the sender's ring frees up although b is full
        }
        var sb = Stats(h, "vale0:b");
        Assert.Equal((ulong)(n - 1), sb.RxPackets);
        Assert.Equal((ulong)(1500 - (n - 1)), sb.RxDrops);
        Assert.Equal(1500UL, Stats(h, "vale0:a").TxPackets);

        b.RxSync();
        Assert.Equal(n - 1, b.RxRings[0].Space);
        for (int i = 0; i < n - 1; i++)
        {
            Assert.True(b.NextPacket(out var f, out _));
            Assert.Equal(60 + i % 100, f.Length);
            Assert.True(Frame(Broadcast, Mac(0xa), 60 + i % 100, tag: (byte)i).AsSpan().SequenceEqual(f), $"frame {i}");
        }
        Assert.False(b.NextPacket(out _, out _));
    }

    [Fact]
    public void Embedded_TxRingIsEntirelyFreeAfterEveryTxSync()
    {
        using var h = new ValeTestHost(false);
        using var a = NetmapPort.Open("vale0:a", h.Host);
        using var b = NetmapPort.Open("vale0:b", h.Host);
        var ring = a.TxRings[0];
        uint n = ring.NumSlots;
        var rnd = new Random(7);
        var frame = Frame(Broadcast, Mac(0xa));
        long total = 0;
        for (int iter = 0; iter < 200; iter++)
        {
            int k = rnd.Next(1, (int)n);
            for (int i = 0; i < k; i++) Assert.True(a.Inject(frame));
            total += k;
            Assert.True(a.TxSync());
            Assert.Equal(ring.Head == 0 ? n - 1 : ring.Head - 1, ring.Tail);
            Assert.Equal(n - 1, ring.Space);
            b.RxSync();
            while (b.NextPacket(out _, out _)) { }
            b.RxSync();
        }
        var st = Stats(h, "vale0:b");
        Assert.Equal((ulong)total, st.RxPackets + st.RxDrops);
    }

    [Fact]
    public void Daemon_FullTxRingBecomesEntirelyFreeWhenPollOutReturns()
    {
        using var h = new ValeTestHost(true);
        using var a = NetmapPort.Open("vale0:a", h.Host);
        using var b = NetmapPort.Open("vale0:b", h.Host);
        var ring = a.TxRings[0];
        uint n = ring.NumSlots;
        var frame = Frame(Broadcast, Mac(0xa));
        for (int round = 0; round < 5; round++)
        {
            int k = 0;
            while (a.Inject(frame)) k++;
            Assert.Equal((int)n - 1, k);
            Assert.Equal(ring.Head, ring.Tail); // the whole ring is queued: nothing for the user until forwarded
            var ev = a.Poll(PollEvents.Out, 5000);
            Assert.Equal(PollEvents.Out, ev);
            Assert.Equal(ring.Head == 0 ? n - 1 : ring.Head - 1, ring.Tail);
            b.RxSync();
            while (b.NextPacket(out _, out _)) { }
            b.RxSync();
        }
        Assert.True(WaitUntil(() => { var s = Stats(h, "vale0:b"); return s.RxPackets + s.RxDrops == 5 * (n - 1); }));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void SenderWithoutSwitchPeers_FramesAreDroppedAndTheRingFreed(bool daemon)
    {
        // A port alone on its switch: broadcasts have no destination; unicast to itself is dropped.
        using var h = new ValeTestHost(daemon);
        using var a = NetmapPort.Open("vale0:a", h.Host);
        Send(a, Frame(Broadcast, Mac(0xa)));
        Send(a, Frame(Mac(0xa), Mac(0xa))); // learned as a: to the source, dropped
        var st = Stats(h, "vale0:a");
        Assert.Equal(2UL, st.TxPackets);
        Assert.Equal(1UL, st.TxDrops);
        Assert.Equal(0UL, st.RxPackets);
        a.RxSync();
        Assert.Equal(0u, a.RxRings[0].Space);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void InvalidTxSlots_AreForwardedAsEmpty_NotFromOtherMemory(bool daemon)
    {
        // A buffer index outside the port's region, or a length above the buffer size, must never make the switch
        // read outside the sender's region; netmap forwards such slots as zero-length (then dropped as runts).
        using var h = new ValeTestHost(daemon);
        using var a = NetmapPort.Open("vale0:a", h.Host);
        using var b = NetmapPort.Open("vale0:b", h.Host);
        var ring = a.TxRings[0];
        uint first = ring.Head, head = first;
        ref var s0 = ref ring.Slot(head);
        uint saved = s0.BufferIndex;
        s0.BufferIndex = ring.BufferCount + 5;
        s0.Length = 60;
        s0.Flags = SlotFlags.BufferChanged;
        head = ring.Next(head);
        ref var s1 = ref ring.Slot(head);
        Frame(Broadcast, Mac(0xa)).CopyTo(ring.Buffer(s1.BufferIndex));
        s1.Length = (ushort)(ring.BufferSize + 1);
        s1.Flags = SlotFlags.None;
        ring.Head = ring.Cur = ring.Next(head);
        WaitTxDrained(a);
        var good = Frame(Broadcast, Mac(0xa), 61);
        ring.Slot(first).BufferIndex = saved; // the slot is the user's again: give it its buffer back
        ring.Slot(first).Flags = SlotFlags.BufferChanged;
        Send(a, good);
        Assert.Equal(good, Assert.Single(Receive(b, 1)));
        b.RxSync();
        Assert.False(b.NextPacket(out _, out _));
        Assert.Equal(2UL, Stats(h, "vale0:a").TxDrops);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void OneSyncOfMoreThanABatch_IsDeliveredWholeAndInOrder(bool daemon)
    {
        // 4000 frames in one TxSync: the forwarder flushes batches of 1024 slots in turn.
        using var h = new ValeTestHost(daemon);
        using var a = NetmapPort.Open("vale0:a@conf:slots=4096", h.Host);
        using var b = NetmapPort.Open("vale0:b@conf:slots=4096", h.Host);
        for (int i = 0; i < 4000; i++)
        {
            var f = Frame(Broadcast, Mac(0xa), 60);
            f[20] = (byte)i; f[21] = (byte)(i >> 8);
            Assert.True(a.Inject(f));
        }
        WaitTxDrained(a);
        var got = Receive(b, 4000);
        Assert.Equal(4000, got.Count);
        for (int i = 0; i < 4000; i++) Assert.Equal(i, got[i][20] | got[i][21] << 8);
        Assert.Equal(0UL, Stats(h, "vale0:b").RxDrops);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ReceiverSlotWithABadBuffer_GetsAnEmptySlot_NeverAWriteOutsideItsRegion(bool daemon)
    {
        using var h = new ValeTestHost(daemon);
        using var a = NetmapPort.Open("vale0:a", h.Host);
        using var b = NetmapPort.Open("vale0:b", h.Host);
        var rx = b.RxRings[0];
        // Slot 1 of b's RX ring now names a buffer outside b's region (b owns no slot yet: the switch reads the
        // index when it fills the slot).
        ref var s1 = ref rx.Slot(1);
        uint saved = s1.BufferIndex;
        s1.BufferIndex = rx.BufferCount + 100;
        var f0 = Frame(Broadcast, Mac(0xa), 70, tag: 1);
        var f1 = Frame(Broadcast, Mac(0xa), 71, tag: 2);
        var f2 = Frame(Broadcast, Mac(0xa), 72, tag: 3);
        Send(a, f0);
        Send(a, f1);
        Send(a, f2);
        b.RxSync();
        Assert.Equal(3u, rx.Space);
        Assert.Equal(f0, rx.Payload(rx.Slot(0)).ToArray());
        Assert.Equal(0, rx.Slot(1).Length);
        Assert.Equal(f2, rx.Payload(rx.Slot(2)).ToArray());
        s1.BufferIndex = saved;
        rx.Head = rx.Cur = 3;
        b.RxSync();
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void UnicastKeepsTheRingIndex_BroadcastGoesToRingZero(bool daemon)
    {
        using var h = new ValeTestHost(daemon);
        using var a = NetmapPort.Open("vale0:a@conf:rings=2", h.Host);
        using var b = NetmapPort.Open("vale0:b@conf:rings=2", h.Host);
        using var c = NetmapPort.Open("vale0:c", h.Host); // one RX ring: ring 1 % 1 = 0
        Send(b, Frame(Broadcast, Mac(0xb)));
        Send(c, Frame(Broadcast, Mac(0xc)));
        b.RxSync();
        while (b.NextPacket(out _, out _)) { }
        b.RxSync();

        static void SendOnRing(NetmapPort p, int ring, byte[] f)
        {
            var r = p.TxRings[ring];
            ref var s = ref r.Slot(r.Head);
            f.CopyTo(r.Buffer(s.BufferIndex));
            s.Length = (ushort)f.Length;
            r.Head = r.Cur = r.Next(r.Head);
            WaitTxDrained(p);
        }
        var toB = Frame(Mac(0xb), Mac(0xa), 61);
        var toC = Frame(Mac(0xc), Mac(0xa), 62);
        var all = Frame(Broadcast, Mac(0xa), 63);
        SendOnRing(a, 1, toB);
        SendOnRing(a, 1, toC);
        SendOnRing(a, 1, all);
        SendOnRing(a, 0, toB);

        b.RxSync();
        c.RxSync();
        var b0 = b.RxRings[0];
        var b1 = b.RxRings[1];
        Assert.Equal(2u, b0.Space);
        Assert.Equal(all, b0.Payload(b0.Slot(b0.Head)).ToArray());
        Assert.Equal(toB, b0.Payload(b0.Slot(b0.Next(b0.Head))).ToArray());
        Assert.Equal(1u, b1.Space);
        Assert.Equal(toB, b1.Payload(b1.Slot(b1.Head)).ToArray());
        var got = Receive(c, 3);
        Assert.Equal([Frame(Broadcast, Mac(0xb)), toC, all], got);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void FramesForARingNobodyBound_AreDropped(bool daemon)
    {
        using var h = new ValeTestHost(daemon);
        using var a = NetmapPort.Open("vale0:a@conf:rings=2", h.Host);
        using var b1 = NetmapPort.Open("vale0:b-1@conf:rings=2", h.Host); // binds ring 1 only
        Assert.Equal(1, b1.FirstRxRing);
        Send(b1, Frame(Broadcast, Mac(0xb)));
        Send(a, Frame(Mac(0xb), Mac(0xa)));      // a's ring 0 -> b's ring 0: nobody bound it
        Assert.Equal(1UL, Stats(h, "vale0:b").RxDrops);
        var r = a.TxRings[1];
        var f = Frame(Mac(0xb), Mac(0xa), 90);
        f.CopyTo(r.Buffer(r.Slot(r.Head).BufferIndex));
        r.Slot(r.Head).Length = (ushort)f.Length;
        r.Head = r.Cur = r.Next(r.Head);
        WaitTxDrained(a);
        Assert.Equal(f, Assert.Single(Receive(b1, 1)));
    }
}
