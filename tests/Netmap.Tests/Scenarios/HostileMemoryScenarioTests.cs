using Netmap.Api;
using Netmap.Hosting;
using Netmap.Tests.Infrastructure;
using Xunit.Abstractions;
using static Netmap.Tests.Scenarios.ValeScenario;

namespace Netmap.Tests.Scenarios;

// Test objective: what a client does to the memory netmapd shares with it cannot crash netmapd, corrupt another
// client's frames or leak buffers. The hostile side runs in its own process (netmap-testpeer's hostile commands):
// it tries to resize the region memfd (sealed: refused; before the seals netmapd and every process mapping the
// region died of SIGBUS), forges its extra-buffer list (before: netmapd freed buffers of running pipes, a later pipe
// got them and its receiver saw another pipe's frames) and writes other owners' indices and garbage into its slots
// before closing (before: ring teardown freed whatever the slots named). Each test checks that netmapd and the
// well-behaved peers kept working and that the free-buffer count came back.
[Collection(ScenarioCollection.Name)]
public sealed class HostileMemoryScenarioTests(DaemonFixture daemon, ITestOutputHelper log) : IClassFixture<DaemonFixture>
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(25);
    private NetmapHost Host => NetmapHost.Daemon(daemon.SocketPath);

    private PeerProcess Hostile(params string[] args) => PeerProcess.Start(log, "hostile", daemon.SocketPath, args);

    private static void AssertRefused(PeerProcess hostile, string what)
    {
        string line = hostile.WaitForLine(what, Limit);
        Assert.StartsWith($"{what} REFUSED", line);
    }

    [Fact]
    public void ResizingAPipeRegionMemfd_IsRefused_AndTheRunningPipeDeliversEveryPacket()
    {
        const int packets = 20_000;
        using var recv = PeerProcess.Start(log, "recv", daemon.SocketPath, ["recv", "netmap:hmt}1", $"{packets}", "5", "3000"]);
        recv.WaitForLine(PeerProtocol.Ready, Limit);
        using var send = PeerProcess.Start(log, "send", daemon.SocketPath, ["send", "netmap:hmt{1", $"{packets}", "5", "3000"]);
        send.WaitForLine(PeerProtocol.Ready, Limit);
        // Another pipe of the same parent: the same region, mapped by all three processes and by netmapd.
        using var hostile = Hostile("truncate-region", "netmap:hmt{9");
        string region = hostile.WaitForLine("REGION", Limit);
        AssertRefused(hostile, "TRUNCATE");
        AssertRefused(hostile, "GROW");
        Assert.Equal(region.Split(' ')[2], hostile.WaitForLine("SIZE", Limit).Split(' ')[1]);

        send.ExpectSuccess(Limit);
        recv.ExpectSuccess(Limit);
        Assert.Equal(send.WaitForLine(PeerProtocol.Sent, Limit)[PeerProtocol.Sent.Length..], recv.WaitForLine(PeerProtocol.Received, Limit)[PeerProtocol.Received.Length..].Split(" fragments")[0]);
        Assert.False(daemon.HasExited, daemon.Stderr);
    }

    [Fact]
    public void ResizingAValePortsRegionMemfd_IsRefused_AndTheWorkerKeepsDeliveringIntoIt()
    {
        var peers = StartPeers(log, daemon, "A", "B");
        using var a = peers[0];
        using var b = peers[1];
        a.Open("a", "valehm:a");
        b.Open("b", "valehm:b");
        using var hostile = Hostile("truncate-region", "valehm:h");
        AssertRefused(hostile, "TRUNCATE");
        AssertRefused(hostile, "GROW");
        hostile.WaitForLine(PeerProtocol.Ready, Limit);

        // Broadcast: netmapd's worker copies every frame into the hostile port's region too.
        const int n = 500;
        Assert.Equal($"a sent {n}", a.Call($"send a {n} {Broadcast} {Mac(0xA)} 1 60 1500"));
        Assert.Equal(n, ValeShellPeer.Field(b.Call($"recv b {n} 10000"), "got"));
        Assert.True(NetmapControl.ValePortStats("valehm:h", Host).RxPackets + NetmapControl.ValePortStats("valehm:h", Host).RxDrops >= n);
        Assert.False(daemon.HasExited, daemon.Stderr);
    }

    [Fact]
    public void AForgedListOfOtherPipesBuffers_FreesNothingTheyUse_AndALaterPipeGetsNoneOfThem()
    {
        using var keep = NetmapPort.Open("netmap:hmf{0", Host); // keeps the parent region for the free counts
        uint free0 = Scenario.FreeBuffers(Host, "hmf");
        using var m1 = NetmapPort.Open("netmap:hmf{1", Host);
        using var s1 = NetmapPort.Open("netmap:hmf}1", Host);
        uint freeOpen = Scenario.FreeBuffers(Host, "hmf");

        // Its list names every buffer of the region (every ring of every pipe included); then it closes.
        using (var hostile = Hostile("forge-extra", "netmap:hmf{9", "steal", "4"))
        {
            hostile.ExpectSuccess(Limit);
            hostile.WaitForLine("FORGED", Limit);
        }
        Scenario.AssertFreeBuffers(Host, "hmf", freeOpen, log);

        // A pipe made now must get fresh buffers, never hmf{1's: traffic on both at once stays byte-exact.
        using var m2 = NetmapPort.Open("netmap:hmf{2", Host);
        using var s2 = NetmapPort.Open("netmap:hmf}2", Host);
        Assert.Empty(RingBuffers(m2).Intersect(RingBuffers(m1).Concat(RingBuffers(keep))));
        TwoPipesAtOnce(m1, s1, m2, s2, 20_000);

        m2.Dispose(); s2.Dispose(); m1.Dispose(); s1.Dispose();
        Scenario.AssertFreeBuffers(Host, "hmf", free0, log);
        Assert.False(daemon.HasExited, daemon.Stderr);
    }

    [Theory]
    [InlineData("zero")]
    [InlineData("self")]
    [InlineData("range")]
    public void ACorruptListInTheGlobalRegion_LeaksNothing(string mode)
    {
        using var keep = NetmapPort.Open("netmap:hmg{0@1", Host); // a pipe parent in the global allocator
        uint free0 = Scenario.FreeBuffers(Host, "hmg");
        using (var hostile = Hostile("forge-extra", "netmap:hmg{9@1", mode, "1000"))
        {
            hostile.ExpectSuccess(Limit);
            Assert.Contains("extra 1000", hostile.WaitForLine("FORGED", Limit));
        }
        Scenario.AssertFreeBuffers(Host, "hmg", free0, log);
    }

    [Theory]
    [InlineData("steal")]
    [InlineData("range")]
    [InlineData("zero")]
    public void GarbageInTheSlotsAtClose_FreesOnlyTheClosingPipesOwnBuffers(string mode)
    {
        using var keep = NetmapPort.Open("netmap:hmz{0", Host);
        using var m1 = NetmapPort.Open("netmap:hmz{1", Host);
        using var s1 = NetmapPort.Open("netmap:hmz}1", Host);
        uint freeOpen = Scenario.FreeBuffers(Host, "hmz");
        using (var hostile = Hostile("garbage-slots", "netmap:hmz{9", mode))
        {
            hostile.ExpectSuccess(Limit);
            hostile.WaitForLine("GARBAGE", Limit);
        }
        Scenario.AssertFreeBuffers(Host, "hmz", freeOpen, log);
        using var m2 = NetmapPort.Open("netmap:hmz{2", Host);
        using var s2 = NetmapPort.Open("netmap:hmz}2", Host);
        Assert.Empty(RingBuffers(m2).Intersect(RingBuffers(m1).Concat(RingBuffers(keep))));
        TwoPipesAtOnce(m1, s1, m2, s2, 10_000);
        Assert.False(daemon.HasExited, daemon.Stderr);
    }

    private static HashSet<uint> RingBuffers(NetmapPort p)
    {
        var set = new HashSet<uint>();
        foreach (var r in p.TxRings.Concat(p.RxRings))
            for (uint i = 0; i < r.NumSlots; i++) set.Add(r.Slot(i).BufferIndex);
        return set;
    }

    /// <summary>Sequence-numbered frames through two pipes, interleaved; every frame checked in order.</summary>
    private static void TwoPipesAtOnce(NetmapPort m1, NetmapPort s1, NetmapPort m2, NetmapPort s2, int frames)
    {
        var pairs = new[] { (m1, s1, 0x11), (m2, s2, 0x22) };
        var sent = new int[2];
        var got = new int[2];
        var frame = new byte[200];
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while ((got[0] < frames || got[1] < frames) && clock.Elapsed < Limit)
        {
            for (int p = 0; p < 2; p++)
            {
                var (tx, rx, tag) = pairs[p];
                while (sent[p] < frames)
                {
                    frame.AsSpan().Fill((byte)tag);
                    BitConverter.TryWriteBytes(frame, sent[p]);
                    if (!tx.Inject(frame)) break;
                    sent[p]++;
                }
                tx.TxSync();
                rx.RxSync();
                while (rx.NextPacket(out var f, out _))
                {
                    Assert.Equal(got[p], BitConverter.ToInt32(f));
                    Assert.Equal(frame.Length, f.Length);
                    Assert.True(f[4..].ToArray().All(x => x == tag), $"pipe {p + 1}, frame {got[p]}: another pipe's bytes");
                    got[p]++;
                }
            }
        }
        Assert.Equal(frames, got[0]);
        Assert.Equal(frames, got[1]);
    }
}
