using Netmap.Adapters.Vale;
using Netmap.Api;
using static Netmap.Tests.Vale.ValeFrames;

namespace Netmap.Tests.Vale;

/// <summary>
/// The default lookup, netmap's learning bridge (spec 5): source learning, unicast to the learned port, flooding of
/// broadcast and unknown unicast, multicast sources not learned, runts dropped, addresses moving between ports.
/// "Got nothing" is proven with a broadcast marker sent after the frame under test (see <see cref="ValeFrames"/>).
/// </summary>
public class ValeLearningTests
{
    private static readonly ulong X = 0x02_11_22_33_44_55;

    private static byte[] MacBytes(ulong mac)
    {
        var b = new byte[6];
        WriteMac(b, mac);
        return b;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void LearnedAddress_UnicastGoesOnlyToItsPort(bool daemon)
    {
        using var h = new ValeTestHost(daemon);
        using var a = NetmapPort.Open("vale0:a", h.Host);
        using var b = NetmapPort.Open("vale0:b", h.Host);
        using var c = NetmapPort.Open("vale0:c", h.Host);

        var hello = Frame(Broadcast, X, 64, tag: 1);
        Send(c, hello);
        Assert.Equal(hello, Assert.Single(Receive(a, 1)));
        Assert.Equal(hello, Assert.Single(Receive(b, 1)));

        var toX = Frame(X, Mac(0xa), 100, tag: 2);
        Send(a, toX);
        SendMarker(a, Mac(0xa));
        Assert.Equal(toX, Assert.Single(ReceiveUntilMarker(c)));
        Assert.Empty(ReceiveUntilMarker(b));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Broadcast_ReachesEveryOtherPort_NeverTheSource(bool daemon)
    {
        using var h = new ValeTestHost(daemon);
        var ports = new[] { "vale0:p0", "vale0:p1", "vale0:p2", "vale0:p3" }.Select(n => NetmapPort.Open(n, h.Host)).ToArray();
        try
        {
            for (int i = 0; i < ports.Length; i++) Send(ports[i], Frame(Broadcast, Mac((byte)i), 60, tag: (byte)i));
            // The last marker comes from p0, so p0 itself needs one from someone else.
            SendMarker(ports[1], Mac(1));
            SendMarker(ports[0], Mac(0));
            for (int i = 0; i < ports.Length; i++)
            {
                var got = ReceiveUntilMarker(ports[i]);
                if (i == 0) Assert.Equal([1, 2, 3], got.Select(f => (int)f[11]));
                else Assert.Equal(Enumerable.Range(0, 4).Where(j => j != i), got.Select(f => (int)f[11]));
            }
            // p1's marker reached the other ports too: nothing else is left behind it.
            for (int i = 2; i < ports.Length; i++) Assert.Empty(ReceiveUntilMarker(ports[i]));
        }
        finally
        {
            foreach (var p in ports) p.Dispose();
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void UnknownUnicast_IsFlooded(bool daemon)
    {
        using var h = new ValeTestHost(daemon);
        using var a = NetmapPort.Open("vale0:a", h.Host);
        using var b = NetmapPort.Open("vale0:b", h.Host);
        using var c = NetmapPort.Open("vale0:c", h.Host);
        var f = Frame(Mac(0x77), Mac(0xa), 90);
        Send(a, f);
        SendMarker(a, Mac(0xa));
        Assert.Equal(f, Assert.Single(ReceiveUntilMarker(b)));
        Assert.Equal(f, Assert.Single(ReceiveUntilMarker(c)));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void MulticastSource_IsNotLearned(bool daemon)
    {
        // A multicast source learned into the table would overwrite the bucket it hashes to; pick one that shares
        // U's bucket, so that learning it would make U unknown (and flooded) again.
        ulong u = Mac(0xa);
        int bucket = ValeHash.Bucket(MacBytes(u));
        ulong m = Enumerable.Range(0, 1 << 20).Select(i => 0x03_00_5e_00_00_00UL | (uint)i)
            .First(x => ValeHash.Bucket(MacBytes(x)) == bucket);
        ulong u2 = Enumerable.Range(0, 1 << 20).Select(i => 0x06_00_00_00_00_00UL | (uint)i)
            .First(x => ValeHash.Bucket(MacBytes(x)) == bucket);

        using var h = new ValeTestHost(daemon);
        using var a = NetmapPort.Open("vale0:a", h.Host);
        using var b = NetmapPort.Open("vale0:b", h.Host);
        using var c = NetmapPort.Open("vale0:c", h.Host);
        Send(a, Frame(Broadcast, u));
        Send(c, Frame(Broadcast, m));
        var toU = Frame(u, Mac(0xb), 70, tag: 1);
        Send(b, toU);
        SendMarker(b, Mac(0xb));
        Assert.Contains(ReceiveUntilMarker(a), f => f.AsSpan().SequenceEqual(toU));
        Assert.DoesNotContain(ReceiveUntilMarker(c), f => ReadMac(f) == u);

        // Control: a unicast source in the same bucket does evict U, and the flood shows at c.
        Send(c, Frame(Broadcast, u2));
        Send(b, toU);
        SendMarker(b, Mac(0xb));
        Assert.Equal(toU, Assert.Single(ReceiveUntilMarker(c)));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void FramesShorterThan14Bytes_AreDroppedAndCounted(bool daemon)
    {
        using var h = new ValeTestHost(daemon);
        using var a = NetmapPort.Open("vale0:a", h.Host);
        using var b = NetmapPort.Open("vale0:b", h.Host);
        var before = Stats(h, "vale0:a");
        Send(a, Frame(Broadcast, Mac(0xa), 13));
        Send(a, Frame(Broadcast, Mac(0xa), 1));
        var min = Frame(Broadcast, Mac(0xa), 14);
        Send(a, min);
        SendMarker(a, Mac(0xa));
        Assert.Equal(min, Assert.Single(ReceiveUntilMarker(b)));
        var after = Stats(h, "vale0:a");
        Assert.Equal(2UL, after.TxDrops - before.TxDrops);
        Assert.Equal(2UL, Stats(h, "vale0:b").RxPackets); // the 14-byte frame and the marker
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void AddressMovingToAnotherPort_IsRelearned(bool daemon)
    {
        using var h = new ValeTestHost(daemon);
        using var a = NetmapPort.Open("vale0:a", h.Host);
        using var b = NetmapPort.Open("vale0:b", h.Host);
        using var c = NetmapPort.Open("vale0:c", h.Host);
        Send(c, Frame(Broadcast, X));
        Send(b, Frame(Broadcast, X)); // X is now behind b
        var toX = Frame(X, Mac(0xa), 80, tag: 3);
        Send(a, toX);
        SendMarker(a, Mac(0xa));
        Assert.DoesNotContain(ReceiveUntilMarker(c), f => ReadMac(f) == X);
        Assert.Equal(toX, ReceiveUntilMarker(b).Single(f => ReadMac(f) == X));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void PortSendingAgainFromItsLastSource_IsNotRelearned(bool daemon)
    {
        // netmap caches each port's last learned source (na->last_smac) and skips the table for it: when X went
        // c -> b -> c, c's repeat of its last source does not move X back.
        using var h = new ValeTestHost(daemon);
        using var a = NetmapPort.Open("vale0:a", h.Host);
        using var b = NetmapPort.Open("vale0:b", h.Host);
        using var c = NetmapPort.Open("vale0:c", h.Host);
        Send(c, Frame(Broadcast, X));
        Send(b, Frame(Broadcast, X));
        Send(c, Frame(Broadcast, X));
        var toX = Frame(X, Mac(0xa), 80, tag: 4);
        Send(a, toX);
        SendMarker(a, Mac(0xa));
        Assert.Equal(toX, ReceiveUntilMarker(b).Single(f => ReadMac(f) == X));
        Assert.DoesNotContain(ReceiveUntilMarker(c), f => ReadMac(f) == X);

        // After c sent from another address, X is learned again from c.
        Send(c, Frame(Broadcast, Mac(0xc)));
        Send(c, Frame(Broadcast, X));
        Send(a, toX);
        SendMarker(a, Mac(0xa));
        Assert.Equal(toX, ReceiveUntilMarker(c).Single(f => ReadMac(f) == X));
        Assert.DoesNotContain(ReceiveUntilMarker(b), f => ReadMac(f) == X);
    }
}
