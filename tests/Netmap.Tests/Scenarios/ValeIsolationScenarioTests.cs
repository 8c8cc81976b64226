using System.Text.RegularExpressions;
using Netmap.Api;
using Netmap.Hosting;
using Netmap.Tests.Infrastructure;
using Xunit.Abstractions;
using static Netmap.Tests.Scenarios.ValeScenario;

namespace Netmap.Tests.Scenarios;

// Test objective: a VALE client reaches nothing but its own ports. Each VALE port has a private region (its own
// memfd, its own mem_id), and a client process maps exactly the regions of the ports it opened (read from
// /proc/PID/maps: the memfd names are "netmap-mem<mem_id>"). A hostile client that writes garbage into its own
// rings and kring records (out-of-range buffer indices and lengths, NS_INDIRECT, huge head, rhead and hwcur
// values written behind the library's back, every slot scribbled before a SIGKILL) only ever hurts itself: the
// worker counts and skips what is bad, the good frames between the bad ones arrive intact, the other ports keep
// exchanging traffic and netmapd stays up.
[Collection(ScenarioCollection.Name)]
public sealed partial class ValeIsolationScenarioTests(DaemonFixture daemon, ITestOutputHelper log) : IClassFixture<DaemonFixture>
{
    [GeneratedRegex(@"/memfd:netmap-mem(\d+)")]
    private static partial Regex NetmapMemfd();

    /// <summary>mem_id of every netmap region mapped by <paramref name="pid"/>, and the number of mappings.</summary>
    private (SortedSet<ushort> MemIds, int Mappings) MappedRegions(int pid)
    {
        var ids = new SortedSet<ushort>();
        int n = 0;
        foreach (var line in File.ReadAllLines($"/proc/{pid}/maps"))
        {
            var m = NetmapMemfd().Match(line);
            if (!m.Success) continue;
            ids.Add(ushort.Parse(m.Groups[1].Value));
            n++;
            log.WriteLine($"pid {pid}: {line}");
        }
        return (ids, n);
    }

    [Fact]
    public void EachClient_MapsOnlyTheRegionsOfThePortsItOpened()
    {
        var peers = StartPeers(log, daemon, "X", "Y");
        using var x = peers[0];
        using var y = peers[1];
        ushort memX = x.Open("x", "vale3:x");
        ushort memY = y.Open("y", "vale3:y");
        Assert.NotEqual(memX, memY);
        Assert.NotEqual(0, memX);
        Assert.NotEqual(0, memY);

        var (idsX, mapsX) = MappedRegions(x.Pid);
        var (idsY, mapsY) = MappedRegions(y.Pid);
        Assert.Equal(new[] { memX }, idsX.ToArray());
        Assert.Equal(new[] { memY }, idsY.ToArray());
        Assert.Equal(1, mapsX); // one mapping per region and process
        Assert.Equal(1, mapsY);

        // A second port in X adds its own region, still nothing of Y's; they do exchange frames through netmapd.
        ushort memX2 = x.Open("x2", "vale3:x2");
        Assert.DoesNotContain(memX2, new[] { memX, memY });
        Assert.Equal(new[] { memX, memX2 }.Order().ToArray(), MappedRegions(x.Pid).MemIds.ToArray());
        y.Call($"send y 20 {Broadcast} {Mac(0x3B)} 30 60 1500");
        x.Post("recv x 20 5000");
        Assert.Equal(20, ValeShellPeer.Field(x.Expect(), "got"));
        Assert.Equal(20, ValeShellPeer.Field(x.Call("recv x2 20 5000"), "got"));
        Assert.Equal(new[] { memY }, MappedRegions(y.Pid).MemIds.ToArray());

        // Closing a port unmaps its region.
        x.Call("close x2");
        Assert.Equal(new[] { memX }, MappedRegions(x.Pid).MemIds.ToArray());
    }

    [Fact]
    public void HostileClient_BadIndicesHeadsAndScribbles_HurtOnlyItself()
    {
        var host = NetmapHost.Daemon(daemon.SocketPath);
        var peers = StartPeers(log, daemon, "H", "A", "B");
        using var h = peers[0];
        using var a = peers[1];
        using var b = peers[2];
        h.Open("h", "vale4:h");
        h.Open("k", "vale4:k"); // the hostile's second port: its txsyncs wake the worker
        a.Open("a", "vale4:a");
        b.Open("b", "vale4:b");
        string hm = Mac(0x4F), am = Mac(0x4A), bm = Mac(0x4B);

        // 1. Bad slots between good frames: every bad one is counted and dropped, every good one arrives intact and
        // in order at both receivers, and nothing else does (the bad indices include the first one past the sender's
        // pool, which in a shared allocator would be someone else's buffer).
        var k0 = h.Call("kring h");
        var s0 = NetmapControl.ValePortStats("vale4:h", host);
        Assert.Equal("h bad 14 good 14", h.Call($"bad-mix h 14 {Broadcast} {hm} 40"));
        a.Post("recv a 14 5000");
        b.Post("recv b 14 5000");
        foreach (var r in new[] { a.Expect(), b.Expect() })
            Assert.Equal(new Dictionary<uint, long> { [40] = 14 }, ValeShellPeer.Tags(r));
        var k1 = h.Call("kring h");
        var s1 = NetmapControl.ValePortStats("vale4:h", host);
        log.WriteLine($"hostile kring before {k0}, after {k1}; tx drops {s0.TxDrops} -> {s1.TxDrops}");
        Assert.Equal(14, ValeShellPeer.Field(k1, "tx_bad") - ValeShellPeer.Field(k0, "tx_bad"));
        Assert.Equal(14ul, s1.TxDrops - s0.TxDrops);
        Assert.Equal(28ul, s1.TxPackets - s0.TxPackets);
        a.Call("quiet a 50");
        b.Call("quiet b 50");

        // 2. Huge heads through the library: the prologue refuses them and reinitialises the ring to sane values.
        var th = h.Call("bad-head h 4000000000");
        Assert.Equal("False", ValeShellPeer.Word(th, "txsync"));
        Assert.InRange(ValeShellPeer.Field(th, "head"), 0, ValeShellPeer.Field(th, "slots") - 1);
        Assert.InRange(ValeShellPeer.Field(th, "tail"), 0, ValeShellPeer.Field(th, "slots") - 1);
        var rh = h.Call("bad-rx-head h 77777");
        Assert.Equal("False", ValeShellPeer.Word(rh, "rxsync"));
        Assert.InRange(ValeShellPeer.Field(rh, "head"), 0, ValeShellPeer.Field(rh, "slots") - 1);

        // 3. A huge rhead written straight into the kring record (what netmapd's worker reads): counted, skipped,
        // repaired by the hostile's next txsync, which puts back the rhead it last wrote (its own copy) and goes on;
        // its good frames flow again afterwards.
        var rr = h.Call("bad-rhead h 3000000000 k");
        Assert.True(ValeShellPeer.Field(rr, "bad_delta") >= 1, rr);
        Assert.Equal("True", ValeShellPeer.Word(rr, "resync"));
        Assert.InRange(ValeShellPeer.Field(rr, "rhead"), 0, 1023);
        h.Call($"send h 5 {Broadcast} {hm} 41 60 1500");
        a.Post("recv a 5 5000");
        b.Post("recv b 5 5000");
        Assert.Equal(5, ValeShellPeer.Tags(a.Expect())[41]);
        Assert.Equal(5, ValeShellPeer.Tags(b.Expect())[41]);

        // 4. A huge hwcur in the hostile's RX kring: the worker keeps its own and counts the bad release; the
        // others' traffic is unaffected.
        h.Call("bad-hwcur h 99999999");
        a.Call($"send a 20 {Broadcast} {am} 42 60 1500");
        Assert.Equal(new Dictionary<uint, long> { [40] = 14, [41] = 5, [42] = 20 }, ValeShellPeer.Tags(b.Call("recv b 20 5000")));
        Assert.True(ValeShellPeer.Field(h.Call("kring h"), "rx_bad") >= 1);

        // 5. Garbage in every slot, the RX slots the switch fills next included: deliveries into them are refused
        // (counted, length 0), never written outside the hostile's region, and the others still get every frame.
        long rxBad = ValeShellPeer.Field(h.Call("kring h"), "rx_bad");
        h.Call("scribble h");
        a.Call($"send a 20 {Broadcast} {am} 45 60 1500");
        Assert.Equal(20, ValeShellPeer.Tags(b.Call("recv b 20 5000"))[45]);
        var k5 = h.Call("kring h");
        log.WriteLine($"after the scribble: {k5}");
        Assert.True(ValeShellPeer.Field(k5, "rx_bad") - rxBad >= 20, k5);

        // 6. Then SIGKILL: netmapd frees the port (whatever its slots hold) and survives.
        h.Kill();
        AssertListedEventually(host, "vale4", ["vale4:a", "vale4:b"], log);
        Assert.False(daemon.HasExited);
        b.Call($"send b 30 {am} {bm} 43 60 3000");
        Assert.Equal(30, ValeShellPeer.Tags(a.Call("recv a 30 5000"))[43]);
        a.Call($"send a 30 {bm} {am} 44 60 3000");
        Assert.Equal(30, ValeShellPeer.Tags(b.Call("recv b 30 5000"))[44]);
        var sa = NetmapControl.ValePortStats("vale4:a", host);
        var sb = NetmapControl.ValePortStats("vale4:b", host);
        Assert.Equal((0ul, 0ul), (sa.RxDrops, sb.RxDrops));
        Assert.False(daemon.HasExited);
    }
}
