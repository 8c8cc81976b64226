using Netmap.Adapters.Vale;
using Netmap.Api;
using Netmap.Engine;
using Netmap.Hosting;
using Netmap.Samples;

namespace Netmap.Tests.Vale;

/// <summary>
/// samples/StaticMacLookup: the table's text form, the lookup's decisions (untagged by MAC, 802.1Q-tagged by MAC and
/// VLAN id, unknown per the default line), and the lookup installed on an embedded engine's switch.
/// </summary>
public sealed class StaticMacLookupTests : IDisposable
{
    private readonly string _dir = Path.Combine("/tmp", $"static-mac-{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..8]}");

    public StaticMacLookupTests() => Directory.CreateDirectory(_dir);

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    internal static string WriteTable(string dir, string text)
    {
        string path = Path.Combine(dir, $"table-{Guid.NewGuid().ToString("N")[..6]}.txt");
        File.WriteAllText(path, text);
        return path;
    }

    /// <summary>The table most tests use: b (02:..:0b, port 1) untagged, c (02:..:0c, port 2) on VLAN 7 only,
    /// broadcast flooded, 02:..:0e dropped on purpose, everything else dropped.</summary>
    internal const string Table = """
        # MAC             [VLAN] PORT
        02:00:00:00:00:0b        1
        02-00-00-00-00-0C   7    2     # tagged only
        ff:ff:ff:ff:ff:ff        flood
        02:00:00:00:00:0e        drop
        default drop
        """;

    /// <summary>An 802.1Q-tagged frame: TPID 0x8100, PCP 5, VLAN <paramref name="vlan"/>, then ethertype 0x88b5.</summary>
    internal static byte[] Tagged(byte dstLast, byte srcLast, int vlan, int length = 64)
    {
        var f = ValeSmokeTests.Frame(dstLast, srcLast, length);
        f[12] = 0x81; f[13] = 0x00;
        f[14] = (byte)(5 << 5 | vlan >> 8); f[15] = (byte)vlan;
        f[16] = 0x88; f[17] = 0xb5;
        return f;
    }

    private static ulong Mac(string s)
    {
        Assert.True(MacTable.TryParseMac(s, out ulong m), s);
        return m;
    }

    private static byte Decide(StaticMacLookup l, byte[] frame)
    {
        byte ring = 3;
        byte d = l.Lookup(frame, 0, ref ring);
        Assert.Equal(3, ring); // the lookup never moves a frame to another ring
        return d;
    }

    // ------------------------------------------------------------ the table file

    [Fact]
    public void Parse_ReadsEntries_VlanEntries_Comments_AndTheDefault()
    {
        var t = MacTable.Parse(Table);

        Assert.Equal(4, t.Count);
        Assert.Equal(UnknownDestination.Drop, t.Unknown);
        Assert.Equal(1, t.Decide(Mac("02:00:00:00:00:0b"), -1));
        Assert.Equal(2, t.Decide(Mac("02:00:00:00:00:0c"), 7));
        Assert.Equal(ValeDestination.Drop, t.Decide(Mac("02:00:00:00:00:0c"), -1)); // listed for VLAN 7 only
        Assert.Equal(ValeDestination.Drop, t.Decide(Mac("02:00:00:00:00:0b"), 7));  // listed untagged only
        Assert.Equal(ValeDestination.Broadcast, t.Decide(Mac("ff:ff:ff:ff:ff:ff"), -1));
        Assert.Equal(ValeDestination.Drop, t.Decide(Mac("02:00:00:00:00:0e"), -1));
    }

    [Fact]
    public void Parse_DefaultFlood_FloodsUnknownDestinations_AndNoDefaultLineDrops()
    {
        var flood = MacTable.Parse("02:00:00:00:00:01 0\nDEFAULT Flood\n");
        var none = MacTable.Parse("02:00:00:00:00:01 0\n");

        Assert.Equal(UnknownDestination.Flood, flood.Unknown);
        Assert.Equal(ValeDestination.Broadcast, flood.Decide(Mac("02:00:00:00:00:99"), -1));
        Assert.Equal(ValeDestination.Broadcast, flood.Decide(Mac("02:00:00:00:00:01"), 1));
        Assert.Equal(0, flood.Decide(Mac("02:00:00:00:00:01"), -1));
        Assert.Equal(UnknownDestination.Drop, none.Unknown);
        Assert.Equal(ValeDestination.Drop, none.Decide(Mac("02:00:00:00:00:99"), -1));
    }

    [Theory]
    [InlineData("02:00:00:00:00:01", "t.txt:1: expected 'MAC PORT'")]
    [InlineData("# ok\n02:00:00:00:00:1 3", "t.txt:2: '02:00:00:00:00:1' is not a MAC address")]
    [InlineData("02:00:00:00:00:zz 3", "t.txt:1: '02:00:00:00:00:zz' is not a MAC address")]
    [InlineData("02:00:00:00:00:01 4096 3", "t.txt:1: '4096' is not a VLAN id")]
    [InlineData("02:00:00:00:00:01 -1 3", "t.txt:1: '-1' is not a VLAN id")]
    [InlineData("02:00:00:00:00:01 254", "t.txt:1: '254' is not a port index (0..253)")]
    [InlineData("02:00:00:00:00:01 b", "t.txt:1: 'b' is not a port index")]
    [InlineData("02:00:00:00:00:01 1 2 3", "t.txt:1: expected 'MAC PORT' or 'MAC VLAN PORT', found 4 fields")]
    [InlineData("02:00:00:00:00:01 1\n\n02:00:00:00:00:01 2", "t.txt:3: 02:00:00:00:00:01 is already listed on line 1")]
    [InlineData("02:00:00:00:00:01 9 1\n02:00:00:00:00:01 9 2", "t.txt:2: 02:00:00:00:00:01 VLAN 9 is already listed on line 1")]
    [InlineData("default drop\ndefault flood", "t.txt:2: a second 'default' line (the first is line 1)")]
    [InlineData("default forward", "t.txt:1: 'default forward': expected drop or flood")]
    [InlineData("default", "t.txt:1: expected 'default drop' or 'default flood'")]
    public void Parse_RejectsABadLine_NamingTheSourceAndTheLine(string text, string expected)
    {
        var e = Assert.Throws<FormatException>(() => MacTable.Parse(text, "t.txt"));
        Assert.StartsWith(expected, e.Message);
    }

    [Fact]
    public void Parse_SameMacUntaggedAndOnVlans_AreThreeEntries()
    {
        var t = MacTable.Parse("02:00:00:00:00:01 1\n02:00:00:00:00:01 0 2\n02:00:00:00:00:01 4095 3\r\n");

        Assert.Equal(3, t.Count);
        Assert.Equal(1, t.Decide(Mac("02:00:00:00:00:01"), -1));
        Assert.Equal(2, t.Decide(Mac("02:00:00:00:00:01"), 0));
        Assert.Equal(3, t.Decide(Mac("02:00:00:00:00:01"), 4095));
    }

    [Fact]
    public void TryParseMac_TakesColonsOrDashes_FirstByteLowest()
    {
        Assert.Equal(0x0605_0403_0201UL, Mac("01:02:03:04:05:06"));
        Assert.Equal(0x0605_0403_0201UL, Mac("01-02-03-04-05-06"));
        Assert.Equal(0xffee_ddcc_bbaaUL, Mac("AA:bb:CC:dd:EE:ff"));
        foreach (var bad in new[] { "", "01:02:03:04:05", "01:02:03:04:05:06:07", "01.02.03.04.05.06", "0x:02:03:04:05:06", "01:02:03:04:05:+6" })
            Assert.False(MacTable.TryParseMac(bad, out _), bad);
    }

    [Fact]
    public void Constructor_MissingFile_ThrowsNamingIt()
    {
        string missing = Path.Combine(_dir, "missing.txt");
        var e = Assert.ThrowsAny<IOException>(() => new StaticMacLookup(missing));
        Assert.Contains(missing, e.Message);
    }

    // ------------------------------------------------------------ lookup decisions

    [Fact]
    public void Lookup_UntaggedByMac_TaggedByMacAndVlan_UnknownPerDefault()
    {
        var l = new StaticMacLookup(WriteTable(_dir, Table));

        Assert.Equal(1, Decide(l, ValeSmokeTests.Frame(0x0b, 0x0a)));
        Assert.Equal(2, Decide(l, Tagged(0x0c, 0x0a, vlan: 7)));
        Assert.Equal(ValeDestination.Drop, Decide(l, ValeSmokeTests.Frame(0x0c, 0x0a)));    // c is listed tagged only
        Assert.Equal(ValeDestination.Drop, Decide(l, Tagged(0x0c, 0x0a, vlan: 8)));         // another VLAN
        Assert.Equal(ValeDestination.Drop, Decide(l, Tagged(0x0b, 0x0a, vlan: 7)));         // b is listed untagged only
        Assert.Equal(ValeDestination.Drop, Decide(l, ValeSmokeTests.Frame(0x0e, 0x0a)));    // an explicit drop
        Assert.Equal(ValeDestination.Drop, Decide(l, ValeSmokeTests.Frame(0x0d, 0x0a)));    // unknown
        var bcast = ValeSmokeTests.Frame(0xff, 0x0a);
        bcast.AsSpan(0, 6).Fill(0xff);
        Assert.Equal(ValeDestination.Broadcast, Decide(l, bcast));
    }

    [Fact]
    public void Lookup_TaggedFrame_VlanIdIgnoresThePriorityBits_AndATruncatedTagDrops()
    {
        var l = new StaticMacLookup(MacTable.Parse("02:00:00:00:00:0c 7 2\n02:00:00:00:00:0c 3\ndefault flood"));
        var f = Tagged(0x0c, 0x0a, vlan: 7);
        f[14] |= 0xf0; // PCP 7 and DEI set: still VLAN 7

        Assert.Equal(2, Decide(l, f));
        Assert.Equal(3, Decide(l, ValeSmokeTests.Frame(0x0c, 0x0a)));
        Assert.Equal(ValeDestination.Drop, Decide(l, Tagged(0x0c, 0x0a, 7).AsSpan(0, 17).ToArray())); // no room for the tag
        var shortest = Tagged(0x0c, 0x0a, 7).AsSpan(0, 18).ToArray();
        shortest[15] = 9; // VLAN 9: not listed, the default floods
        Assert.Equal(ValeDestination.Broadcast, Decide(l, shortest));
    }

    [Fact]
    public void Lookup_AllocatesNothing()
    {
        var l = new StaticMacLookup(MacTable.Parse(Table));
        var frames = new[] { ValeSmokeTests.Frame(0x0b, 1), Tagged(0x0c, 1, 7), ValeSmokeTests.Frame(0x77, 1) };
        int sum = 0;
        for (int i = 0; i < 100; i++) foreach (var f in frames) sum += Decide(l, f); // warm (tiering, statics)
        long before = GC.GetAllocatedBytesForCurrentThread();
        byte ring = 0;
        for (int i = 0; i < 10_000; i++) foreach (var f in frames) sum += l.Lookup(f, 0, ref ring);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(0, allocated);
        Assert.Equal(100 * (1 + 2 + 255) + 10_000 * (1 + 2 + 255), sum);
    }

    // ------------------------------------------------------------ on a switch

    /// <summary>Whatever <paramref name="port"/> has received and not yet read (one RxSync, no waiting).</summary>
    internal static List<byte[]> Pending(NetmapPort port)
    {
        port.RxSync();
        var got = new List<byte[]>();
        while (port.NextPacket(out var f, out _)) got.Add(f.ToArray());
        return got;
    }

    [Fact]
    public void Embedded_FramesGoWhereTheTableSays_NotWhereLearningWouldSendThem()
    {
        using var engine = new NetmapEngine();
        engine.SetValeLookup("vale5", new StaticMacLookup(WriteTable(_dir, Table)));
        var host = NetmapHost.Embedded(engine);
        using var a = NetmapPort.Open("vale5:a", host);
        using var b = NetmapPort.Open("vale5:b", host);
        using var c = NetmapPort.Open("vale5:c", host);
        Assert.Equal(1u, NetmapControl.ValeList("vale5:b", host).PortIndex);
        Assert.Equal(2u, NetmapControl.ValeList("vale5:c", host).PortIndex);

        var toB = ValeSmokeTests.Frame(0x0b, 0x0a, fill: 1);
        var toCTagged = Tagged(0x0c, 0x0a, vlan: 7);
        var bcast = ValeSmokeTests.Frame(0xff, 0x0a, fill: 3);
        bcast.AsSpan(0, 6).Fill(0xff);
        // Dropped by the table: c untagged, b on VLAN 7, an unknown MAC (learning would flood all three).
        var dropped = new[] { ValeSmokeTests.Frame(0x0c, 0x0a, fill: 4), Tagged(0x0b, 0x0a, vlan: 7), ValeSmokeTests.Frame(0x0d, 0x0a, fill: 5) };
        foreach (var f in new[] { dropped[0], toB, dropped[1], toCTagged, dropped[2], bcast }) Assert.True(a.Inject(f));
        a.TxSync(); // embedded: forwarded in this call

        var atB = ValeSmokeTests.Receive(b, 2, 2000);
        var atC = ValeSmokeTests.Receive(c, 2, 2000);
        Assert.Equal([toB, bcast], atB);
        Assert.Equal([toCTagged, bcast], atC);
        Assert.Empty(Pending(b));
        Assert.Empty(Pending(c));
        var stats = NetmapControl.ValePortStats("vale5:a", host);
        Assert.Equal(6ul, stats.TxPackets);
        Assert.Equal(3ul, stats.TxDrops);
    }
}
