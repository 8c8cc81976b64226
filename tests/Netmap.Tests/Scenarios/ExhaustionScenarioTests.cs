using System.Diagnostics;
using Netmap.Abi;
using Netmap.Api;
using Netmap.Hosting;
using Netmap.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Netmap.Tests.Scenarios;

// Test objective: a client that asks netmapd for too much gets a refusal naming the limit and its flag instead of
// exhausting the daemon (before: 4,973 pipes took every descriptor of netmapd and then every open by anyone failed
// EMFILE; three 970,000-extra-buffer registrations got netmapd OOM-killed). The greedy client is an unprivileged user
// (setpriv --reuid 65534) of a daemon started with --group; root is still served afterwards, and once the greedy
// client is gone netmapd holds exactly the descriptors it held before.
[Collection(ScenarioCollection.Name)]
public sealed class ExhaustionScenarioTests(ITestOutputHelper log)
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(30);

    /// <summary>setpriv arguments that run a command as uid/gid 65534 with no supplementary groups.</summary>
    public static readonly string[] Nobody = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"];

    private static DaemonFixture Daemon(params string[] limits) => DaemonFixture.Start(["--group", "65534", .. limits]);

    private PeerProcess Greedy(DaemonFixture d, params string[] args) => PeerProcess.Start(log, "greedy", d.SocketPath, args, wrapper: Nobody);

    public static int DescriptorCount(int pid) => Directory.GetFileSystemEntries($"/proc/{pid}/fd").Length;

    /// <summary>netmapd's descriptor count once idle: after one pipe came and went (threads and epoll sets made lazily
    /// exist by then).</summary>
    private static int IdleDescriptors(DaemonFixture d)
    {
        using (NetmapPort.Open("netmap:warm{1", NetmapHost.Daemon(d.SocketPath))) { }
        return DescriptorCount(d.ProcessId);
    }

    private void AssertDescriptorsBackTo(DaemonFixture d, int expected)
    {
        var clock = Stopwatch.StartNew();
        int now;
        while ((now = DescriptorCount(d.ProcessId)) != expected && clock.Elapsed < TimeSpan.FromSeconds(10)) Thread.Sleep(20);
        log.WriteLine($"netmapd holds {now} descriptors (idle: {expected}) after {clock.ElapsedMilliseconds} ms");
        Assert.Equal(expected, now);
    }

    private static (int Opened, long Extra, string? Error) Outcome(PeerProcess p)
    {
        var w = p.WaitForLine("OPENED", Limit).Split(' ');
        p.WaitForLine(PeerProtocol.Ready, Limit);
        string? error = p.Output.Split('\n').FirstOrDefault(l => l.StartsWith(PeerProtocol.Error + " ", StringComparison.Ordinal));
        return (int.Parse(w[1]), long.Parse(w[3]), error);
    }

    [Fact]
    public void PipesPastThePerUserLimit_AreRefusedNamingIt_AndRootIsStillServed()
    {
        using var d = Daemon("--max-pipes-per-user", "16");
        int idle = IdleDescriptors(d);
        using (var greedy = Greedy(d, "exhaust", "netmap:exa#{1", "1000"))
        {
            var (opened, _, error) = Outcome(greedy);
            Assert.Equal(16, opened);
            Assert.NotNull(error);
            Assert.Contains("ENOMEM", error);
            Assert.Contains("uid 65534 holds 16 pipes", error);
            Assert.Contains("(limit --max-pipes-per-user 16)", error);
            using var mine = NetmapPort.Open("netmap:exroot{1", NetmapHost.Daemon(d.SocketPath));
            Assert.Single(mine.TxRings);
        }
        AssertDescriptorsBackTo(d, idle);
        Assert.False(d.HasExited, d.Stderr);
    }

    [Fact]
    public void TheGlobalPipeLimit_StopsRootToo_WithAMessageNamingIt()
    {
        using var d = Daemon("--max-pipes-per-user", "6", "--max-pipes", "8");
        using var greedy = Greedy(d, "exhaust", "netmap:exg#{1", "1000");
        Assert.Equal(6, Outcome(greedy).Opened);
        var host = NetmapHost.Daemon(d.SocketPath);
        using var a = NetmapPort.Open("netmap:exga{1", host);
        using var b = NetmapPort.Open("netmap:exgb{1", host);
        var e = Assert.Throws<NetmapException>(() => NetmapPort.Open("netmap:exgc{1", host));
        Assert.Equal(Errno.ENOMEM, e.Errno);
        Assert.Contains("the engine holds 8 pipes in all", e.Message);
        Assert.Contains("(limit --max-pipes 8)", e.Message);
        greedy.Kill();
        // netmapd releases the killed client's pipes when it sees its connections close.
        var clock = Stopwatch.StartNew();
        NetmapPort? c = null;
        while (c is null)
        {
            try { c = NetmapPort.Open("netmap:exgc{1", host); }
            catch (NetmapException x) when (x.Errno == Errno.ENOMEM && clock.Elapsed < TimeSpan.FromSeconds(10)) { Thread.Sleep(20); }
        }
        c.Dispose();
    }

    [Fact]
    public void SharedMemoryPastThePerUserLimit_IsRefused_BeforeTheRegionIsMade()
    {
        using var d = Daemon("--max-memory-per-user", "200M");
        int idle = IdleDescriptors(d);
        using (var greedy = Greedy(d, "exhaust", "valeexm:p#", "100"))
        {
            var (opened, _, error) = Outcome(greedy);
            Assert.Equal(4, opened); // a default VALE port's region is 42 MB
            Assert.NotNull(error);
            Assert.Contains("uid 65534 holds 162 MiB of shared memory", error);
            Assert.Contains("(limit --max-memory-per-user 200M)", error);
            using var mine = NetmapPort.Open("valeexm:root", NetmapHost.Daemon(d.SocketPath));
            Assert.Single(mine.RxRings);
        }
        AssertDescriptorsBackTo(d, idle);
    }

    [Fact]
    public void DescriptorsPastThePerUserLimit_AreRefused_AndNetmapdNeverRunsOutOfThem()
    {
        using var d = Daemon("--max-fds-per-user", "30");
        int idle = IdleDescriptors(d);
        using (var greedy = Greedy(d, "exhaust", "netmap:exf#{1", "1000"))
        {
            var (opened, _, error) = Outcome(greedy);
            Assert.Equal(6, opened); // each pipe: its region's memfd and two kick lines
            Assert.Contains("(limit --max-fds-per-user 30)", error);
            using var mine = NetmapPort.Open("netmap:exfroot{1", NetmapHost.Daemon(d.SocketPath));
        }
        AssertDescriptorsBackTo(d, idle);
    }

    [Fact]
    public void ExtraBuffers_AreGrantedUpToTheLimits_AndAHugeRequestIsClampedAsNetmapDoes()
    {
        using var d = Daemon("--max-extra-buffers-per-user", "5000");
        var host = NetmapHost.Daemon(d.SocketPath);
        using (var greedy = Greedy(d, "exhaust", "netmap:exe#{1", "4", "3000"))
        {
            var (opened, extra, error) = Outcome(greedy);
            Assert.Equal(4, opened);
            Assert.Null(error);
            Assert.Equal(5000, extra); // 3000 + 2000 + 0 + 0
            using var mine = NetmapPort.Open("netmap:exeroot{1", host, new NetmapPortOptions { ExtraBuffers = 3000 });
            Assert.Equal(3000u, mine.ExtraBuffers); // root's 5000 are its own
        }
        Assert.False(d.HasExited, d.Stderr);
    }

    [Fact]
    public void HugeExtraBufferRequests_AreClampedAsNetmapDoes_AndTheRegionIsSizedForTheGrant()
    {
        // 970,000 extra buffers: the request that used to size a 2 GB region per REGISTER until netmapd was OOM-killed.
        using var d = Daemon("--max-memory-per-user", "1200M");
        using var greedy = Greedy(d, "exhaust", "valeexh:p#", "3", "970000");
        var (opened, extra, error) = Outcome(greedy);
        Assert.Equal(1, opened);
        Assert.Equal(524_288, extra); // netmap's 128 * 4096
        Assert.NotNull(error);
        Assert.Contains("(limit --max-memory-per-user 1200M)", error);
        using var mine = NetmapPort.Open("valeexh:root", NetmapHost.Daemon(d.SocketPath));
        Assert.True(mine.MemSize < 50_000_000);
        Assert.False(d.HasExited, d.Stderr);
    }
}
