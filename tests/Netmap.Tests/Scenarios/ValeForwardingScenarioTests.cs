using Netmap.Api;
using Netmap.Hosting;
using Netmap.Tests.Infrastructure;
using Xunit.Abstractions;
using static Netmap.Tests.Scenarios.ValeScenario;

namespace Netmap.Tests.Scenarios;

// Test objective: VALE forwarding between processes, done by the real netmapd's worker thread. Each port is opened
// by a different process (vale-shell children), so every frame crosses from one private region to another through
// the daemon. Checked byte for byte (ValeScenarioFrame carries tag, sequence, length and a derived payload):
// broadcast reaches every other port and never the sender, in both directions; the switch learns a source MAC
// seen from one process and then delivers unicast to that process only; three processes sending at once into one
// receiver never interleave or damage a frame, keep each sender's order, and every frame is either received or
// counted as a drop on the receiving port, while each sender's port counts exactly what it sent.
[Collection(ScenarioCollection.Name)]
public sealed class ValeForwardingScenarioTests(DaemonFixture daemon, ITestOutputHelper log) : IClassFixture<DaemonFixture>
{
    [Fact]
    public void Broadcast_BothDirections_ReachesEveryOtherProcess_NeverTheSender()
    {
        var host = NetmapHost.Daemon(daemon.SocketPath);
        var peers = StartPeers(log, daemon, "A", "B", "C");
        using var a = peers[0];
        using var b = peers[1];
        using var c = peers[2];
        a.Open("a", "vale0:a");
        b.Open("b", "vale0:b");
        c.Open("c", "vale0:c");

        // 500 frames of 60..3000 bytes (one or two slots each) fit a 1024-slot RX ring: nothing may be dropped.
        const int N = 500;
        Assert.Equal($"a sent {N}", a.Call($"send a {N} {Broadcast} {Mac(0xA)} 1 60 3000"));
        b.Post($"recv b {N} 10000");
        c.Post($"recv c {N} 10000");
        var fromA = new[] { b.Expect(), c.Expect() };
        foreach (var r in fromA)
        {
            Assert.Equal(N, ValeShellPeer.Field(r, "got"));
            Assert.Equal(new Dictionary<uint, long> { [1] = N }, ValeShellPeer.Tags(r));
            Assert.Equal(Mac(0xA), ValeShellPeer.Word(r, "sources"));
        }
        a.Call("quiet a 100");

        Assert.Equal($"b sent {N}", b.Call($"send b {N} {Broadcast} {Mac(0xB)} 2 60 3000"));
        a.Post($"recv a {N} 10000");
        c.Post($"recv c {N} 10000");
        var ra = a.Expect();
        var rc = c.Expect();
        Assert.Equal(new Dictionary<uint, long> { [2] = N }, ValeShellPeer.Tags(ra));
        Assert.Equal(new Dictionary<uint, long> { [1] = N, [2] = N }, ValeShellPeer.Tags(rc));
        b.Call("quiet b 100");
        c.Call("quiet c 50");

        var sa = NetmapControl.ValePortStats("vale0:a", host);
        var sb = NetmapControl.ValePortStats("vale0:b", host);
        var sc = NetmapControl.ValePortStats("vale0:c", host);
        Assert.Equal(((ulong)N, (ulong)N, 0ul, 0ul), (sa.TxPackets, sa.RxPackets, sa.RxDrops, sa.TxDrops));
        Assert.Equal(((ulong)N, (ulong)N, 0ul, 0ul), (sb.TxPackets, sb.RxPackets, sb.RxDrops, sb.TxDrops));
        Assert.Equal((0ul, 2ul * N, 0ul), (sc.TxPackets, sc.RxPackets, sc.RxDrops));
        Assert.Equal((sa.TxBytes, sb.TxBytes), (sb.RxBytes, sa.RxBytes));
        Assert.Equal(sa.TxBytes + sb.TxBytes, sc.RxBytes);

        // Jumbo frames from C: chains of up to 32 slots (NS_MOREFRAG, NS_RFRAGS) copied between three regions.
        Assert.Equal("c sent 20", c.Call($"send c 20 {Broadcast} {Mac(0xC)} 3 9000 65535"));
        a.Post("recv a 20 10000");
        b.Post("recv b 20 10000");
        Assert.Equal(20, ValeShellPeer.Tags(a.Expect())[3]);
        Assert.Equal(20, ValeShellPeer.Tags(b.Expect())[3]);
        c.Call("quiet c 50");
        Assert.False(daemon.HasExited);
    }

    [Fact]
    public void Learning_AcrossProcesses_UnicastReachesOnlyTheLearnedPort()
    {
        var host = NetmapHost.Daemon(daemon.SocketPath);
        var peers = StartPeers(log, daemon, "A", "B", "C");
        using var a = peers[0];
        using var b = peers[1];
        using var c = peers[2];
        a.Open("a", "vale1:a");
        b.Open("b", "vale1:b");
        c.Open("c", "vale1:c");
        string x = Mac(0xC), y = Mac(0xA);

        // C announces X: a broadcast, so A and B both get it and the switch learns X -> C.
        c.Call($"send c 10 {Broadcast} {x} 3 60 200");
        a.Post("recv a 10 5000");
        b.Post("recv b 10 5000");
        Assert.Equal(x, ValeShellPeer.Word(a.Expect(), "sources"));
        Assert.Equal(x, ValeShellPeer.Word(b.Expect(), "sources"));

        // A -> X: only C. The send returns once netmapd forwarded every frame, so anything B was given is there by now.
        c.Post("recv c 300 5000");
        a.Call($"send a 300 {x} {y} 4 60 1500");
        var rc = c.Expect();
        Assert.Equal(new Dictionary<uint, long> { [4] = 300 }, ValeShellPeer.Tags(rc));
        Assert.Equal(y, ValeShellPeer.Word(rc, "sources"));
        b.Call("quiet b 150");

        // And back: C -> Y (learned from A's frames) reaches A only.
        c.Call($"send c 200 {y} {x} 5 60 1500");
        var ra = a.Call("recv a 200 5000");
        Assert.Equal(new Dictionary<uint, long> { [3] = 10, [5] = 200 }, ValeShellPeer.Tags(ra));
        b.Call("quiet b 100");

        // A broadcast marker from C after everything else: B's next frame is the marker, nothing in between.
        c.Call($"send c 1 {Broadcast} {x} 6 60 60");
        var rb = b.Call("recv b 1 5000");
        Assert.Equal(new Dictionary<uint, long> { [3] = 10, [6] = 1 }, ValeShellPeer.Tags(rb));
        a.Call("recv a 1 5000");

        var sb = NetmapControl.ValePortStats("vale1:b", host);
        Assert.Equal((11ul, 0ul), (sb.RxPackets, sb.RxDrops));
        var sc = NetmapControl.ValePortStats("vale1:c", host);
        Assert.Equal((300ul, 211ul), (sc.RxPackets, sc.TxPackets));
    }

    [Fact]
    public void ThreeSenderProcesses_IntoOneReceiver_FramesIntact_OrderedPerSender_AllAccounted()
    {
        var host = NetmapHost.Daemon(daemon.SocketPath);
        const long K = 300_000;
        var peers = StartPeers(log, daemon, "R", "S1", "S2", "S3");
        using var r = peers[0];
        using var s1 = peers[1];
        using var s2 = peers[2];
        using var s3 = peers[3];
        var senders = new[] { s1, s2, s3 };
        r.Open("r", "vale2:r");
        for (int i = 0; i < 3; i++) senders[i].Open("s", $"vale2:s{i + 1}");
        string rMac = Mac(0x100);

        // R announces itself (the switch learns its MAC), so the senders' frames are unicast to R only.
        r.Call($"send r 1 {Broadcast} {rMac} 100 60 60");
        for (int i = 0; i < 3; i++) senders[i].Call("recv s 1 5000");

        r.Post($"sink r {3 * K} vale2:r 60000");
        var clock = System.Diagnostics.Stopwatch.StartNew();
        for (int i = 0; i < 3; i++) senders[i].Post($"send s {K} {rMac} {Mac(0x200 + i)} {i + 1} 60 128");
        for (int i = 0; i < 3; i++) Assert.Equal($"s sent {K}", senders[i].Expect(TimeSpan.FromSeconds(60)));
        var sink = r.Expect(TimeSpan.FromSeconds(60));
        log.WriteLine($"3 x {K} frames in {clock.Elapsed.TotalSeconds:F2} s: {sink}");

        long received = ValeShellPeer.Field(sink, "received");
        long drops = ValeShellPeer.Field(sink, "rx_drops");
        Assert.Equal(3 * K, received + drops);
        Assert.Equal(received, ValeShellPeer.Field(sink, "rx_packets"));
        var tags = ValeShellPeer.Tags(sink);
        Assert.Equal(received, tags.Values.Sum());
        Assert.All(tags.Keys, t => Assert.InRange(t, 1u, 3u));
        Assert.All(tags.Values, n => Assert.InRange(n, 1, K));

        var rs = NetmapControl.ValePortStats("vale2:r", host);
        Assert.Equal(3 * K, (long)(rs.RxPackets + rs.RxDrops));
        Assert.Equal(received, (long)rs.RxPackets);
        Assert.Equal(1ul, rs.TxPackets);
        for (int i = 0; i < 3; i++)
        {
            var ss = NetmapControl.ValePortStats($"vale2:s{i + 1}", host);
            Assert.Equal((ulong)K, ss.TxPackets);
            Assert.Equal(0ul, ss.TxDrops);
            Assert.Equal(1ul, ss.RxPackets); // R's announcement only: no frame of another sender
        }
        Assert.False(daemon.HasExited);
    }
}
