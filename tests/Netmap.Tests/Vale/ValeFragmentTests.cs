using Netmap.Abi;
using Netmap.Api;
using static Netmap.Tests.Vale.ValeFrames;

namespace Netmap.Tests.Vale;

/// <summary>
/// Multi-slot packets (spec 5, forwarding steps 1 and 5): NS_MOREFRAG chains are forwarded whole, every received
/// slot carries NS_RFRAGS = the packet's fragment count in its flags' high byte and NS_MOREFRAG on all but the
/// last; a chain still open at head is cut there.
/// </summary>
public class ValeFragmentTests
{
    /// <summary>One received packet: its bytes and each slot's flags.</summary>
    private sealed record Received(byte[] Data, SlotFlags[] Flags);

    /// <summary>Reads <paramref name="count"/> packets slot by slot (NextPacket hands out one slot per call).</summary>
    private static List<Received> ReceivePackets(NetmapPort port, int count)
    {
        var packets = new List<Received>();
        var data = new List<byte>();
        var flags = new List<SlotFlags>();
        var sw = System.Diagnostics.Stopwatch.StartNew();
        while (packets.Count < count)
        {
            Assert.True(sw.ElapsedMilliseconds < 5000, $"{packets.Count} of {count} packets received");
            if (!port.NextPacket(out var f, out var fl)) { port.Poll(PollEvents.In, 50); continue; }
            data.AddRange(f.ToArray());
            flags.Add(fl);
            int rfrags = (int)fl >> 8;
            if (flags.Count == rfrags || (fl & SlotFlags.MoreFragments) == 0 || flags.Count > 64)
            {
                packets.Add(new Received(data.ToArray(), flags.ToArray()));
                data.Clear();
                flags.Clear();
            }
        }
        return packets;
    }

    private static void AssertFragmentFlags(Received r, int expectedFrags)
    {
        Assert.Equal(expectedFrags, r.Flags.Length);
        for (int i = 0; i < r.Flags.Length; i++)
        {
            Assert.Equal(expectedFrags, (int)r.Flags[i] >> 8); // NS_RFRAGS
            Assert.Equal(i + 1 < r.Flags.Length, (r.Flags[i] & SlotFlags.MoreFragments) != 0);
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void PacketsUpTo10KB_ArriveWhole_WithFragmentCounts(bool daemon)
    {
        using var h = new ValeTestHost(daemon);
        using var a = NetmapPort.Open("vale0:a", h.Host);
        using var b = NetmapPort.Open("vale0:b", h.Host);
        int bs = (int)a.TxRings[0].BufferSize;
        var rnd = new Random(99);
        for (int round = 0; round < 3; round++) // ~1000 slots a round: the rings wrap mid-chain
        {
            var sent = new List<byte[]>();
            int slots = 0;
            while (true)
            {
                int len = sent.Count switch { 0 => 10 * 1024, 1 => bs, 2 => bs + 1, 3 => 14, _ => rnd.Next(14, 10 * 1024 + 1) };
                int frags = (len + bs - 1) / bs;
                if (slots + frags > 1000) break;
                var f = Frame(Broadcast, Mac(0xa), len, tag: (byte)sent.Count);
                rnd.NextBytes(f.AsSpan(14));
                Assert.True(a.Inject(f));
                sent.Add(f);
                slots += frags;
            }
            WaitTxDrained(a);
            var got = ReceivePackets(b, sent.Count);
            b.RxSync(); // give the slots back before the next round
            for (int i = 0; i < sent.Count; i++)
            {
                Assert.True(sent[i].AsSpan().SequenceEqual(got[i].Data), $"round {round} packet {i} ({sent[i].Length} bytes) differs");
                AssertFragmentFlags(got[i], (sent[i].Length + bs - 1) / bs);
            }
            Assert.Equal((ulong)0, Stats(h, "vale0:b").RxDrops);
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ChainStillOpenAtHead_IsCutThere(bool daemon)
    {
        using var h = new ValeTestHost(daemon);
        using var a = NetmapPort.Open("vale0:a", h.Host);
        using var b = NetmapPort.Open("vale0:b", h.Host);
        var ring = a.TxRings[0];
        uint head = ring.Head;
        var parts = new[] { Frame(Broadcast, Mac(0xa), 100, tag: 1), Frame(0, 0, 200, tag: 2), Frame(0, 0, 300, tag: 3) };
        foreach (var p in parts)
        {
            ref var s = ref ring.Slot(head);
            p.CopyTo(ring.Buffer(s.BufferIndex));
            s.Length = (ushort)p.Length;
            s.Flags = SlotFlags.MoreFragments; // the last one too: the chain never ends
            head = ring.Next(head);
        }
        ring.Head = ring.Cur = head;
        WaitTxDrained(a);
        var next = Frame(Broadcast, Mac(0xa), 64, tag: 4);
        Send(a, next);

        var got = ReceivePackets(b, 2);
        Assert.Equal(parts.SelectMany(p => p).ToArray(), got[0].Data);
        AssertFragmentFlags(got[0], 3);
        Assert.Equal(next, got[1].Data);
        AssertFragmentFlags(got[1], 1);
        Assert.Equal(2UL, Stats(h, "vale0:b").RxPackets);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void FragmentedPacket_NotFittingTheReceiverRing_IsDroppedWhole(bool daemon)
    {
        // No half packets: a chain that does not fit the free slots is dropped with everything after it.
        using var h = new ValeTestHost(daemon);
        using var a = NetmapPort.Open("vale0:a", h.Host);
        using var b = NetmapPort.Open("vale0:b@conf:rx-slots=8", h.Host);
        Assert.Equal(8u, b.RxRings[0].NumSlots);
        int bs = (int)a.TxRings[0].BufferSize;
        var small = Frame(Broadcast, Mac(0xa), 60);
        var big = Frame(Broadcast, Mac(0xa), 3 * bs, tag: 9); // 3 slots
        for (int i = 0; i < 5; i++) Assert.True(a.Inject(small)); // 5 of the 7 usable slots
        Assert.True(a.Inject(big));
        Assert.True(a.Inject(small)); // after the dropped chain: dropped too (no reordering around a drop)
        WaitTxDrained(a);
        var st = Stats(h, "vale0:b");
        Assert.Equal(5UL, st.RxPackets);
        Assert.Equal(2UL, st.RxDrops);
        b.RxSync();
        Assert.Equal(5u, b.RxRings[0].Space);
    }
}
