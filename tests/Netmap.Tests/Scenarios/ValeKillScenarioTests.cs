using Netmap.Api;
using Netmap.Hosting;
using Netmap.Tests.Infrastructure;
using Xunit.Abstractions;
using static Netmap.Tests.Scenarios.ValeScenario;

namespace Netmap.Tests.Scenarios;

// Test objective: SIGKILL of a VALE client in the middle of a stream harms nobody else. Killing the sender: the
// receiver's frames up to the kill are intact and ordered, the dead port leaves the switch (VALE_LIST) and the two
// remaining processes exchange frames both ways. Killing the receiver: the sender keeps streaming (netmapd's
// worker drops what has nowhere to go; the sender's ring keeps being freed, nothing stalls), no frame meant for
// the dead port shows up anywhere else, and the remaining two exchange frames. netmapd stays up throughout.
[Collection(ScenarioCollection.Name)]
public sealed class ValeKillScenarioTests(DaemonFixture daemon, ITestOutputHelper log) : IClassFixture<DaemonFixture>
{
    [Fact]
    public void SigkillOfTheSender_MidStream_TheOthersKeepExchanging()
    {
        var host = NetmapHost.Daemon(daemon.SocketPath);
        var peers = StartPeers(log, daemon, "S", "R", "C");
        using var s = peers[0];
        using var r = peers[1];
        using var c = peers[2];
        s.Open("s", "vale5:s");
        r.Open("r", "vale5:r");
        c.Open("c", "vale5:c");
        string sm = Mac(0x5A), rm = Mac(0x5B), cm = Mac(0x5C);

        r.Call($"send r 1 {Broadcast} {rm} 50 60 60"); // the switch learns R
        c.Call("recv c 1 5000");
        r.Call("drain r");
        s.Call($"stream s {rm} {sm} 51 60 1500");
        WaitForStats(host, "vale5:r", st => st.RxPackets >= 5000, "5000 frames received");
        s.Kill();

        var drained = r.Call("stop r");
        log.WriteLine($"receiver after the kill: {drained}");
        Assert.True(ValeShellPeer.Tags(drained)[51] >= 5000, drained);
        AssertListedEventually(host, "vale5", ["vale5:c", "vale5:r"], log);

        // The remaining pair, both ways: broadcast from R, then unicast from C to R's learned address.
        r.Call($"send r 100 {Broadcast} {rm} 52 60 3000");
        Assert.Equal(100, ValeShellPeer.Tags(c.Call("recv c 100 5000"))[52]);
        c.Call($"send c 100 {rm} {cm} 53 60 3000");
        Assert.Equal(new Dictionary<uint, long> { [53] = 100 }, ValeShellPeer.Tags(r.Call("recv r 100 5000")));
        c.Call("quiet c 50");
        Assert.False(daemon.HasExited);
    }

    [Fact]
    public void SigkillOfTheReceiver_MidStream_TheSenderKeepsGoing_AndTheOthersKeepExchanging()
    {
        var host = NetmapHost.Daemon(daemon.SocketPath);
        var peers = StartPeers(log, daemon, "S", "R", "C");
        using var s = peers[0];
        using var r = peers[1];
        using var c = peers[2];
        s.Open("s", "vale5:s2");
        r.Open("r", "vale5:r2");
        c.Open("c", "vale5:c2");
        string sm = Mac(0x6A), rm = Mac(0x6B), cm = Mac(0x6C);

        r.Call($"send r 1 {Broadcast} {rm} 60 60 60");
        c.Call("recv c 1 5000");
        s.Call("recv s 1 5000");
        r.Call("drain r");
        s.Call($"stream s {rm} {sm} 61 60 1500");
        WaitForStats(host, "vale5:r2", st => st.RxPackets >= 5000, "5000 frames received");
        r.Kill();
        AssertListedEventually(host, "vale5", ["vale5:c2", "vale5:s2"], log);

        // The sender is not stuck: its port keeps counting frames sent after the receiver is gone.
        ulong before = NetmapControl.ValePortStats("vale5:s2", host).TxPackets;
        WaitForStats(host, "vale5:s2", st => st.TxPackets >= before + 5000, "5000 more frames sent");
        var streamed = s.Call("stop s");
        log.WriteLine($"sender: {streamed}");
        var ss = NetmapControl.ValePortStats("vale5:s2", host);
        Assert.Equal((ulong)ValeShellPeer.Field(streamed, "sent"), ss.TxPackets);

        // Nothing meant for the dead port reached C; then S and C exchange frames both ways.
        c.Call("quiet c 50");
        Assert.Equal(1ul, NetmapControl.ValePortStats("vale5:c2", host).RxPackets);
        s.Call($"send s 100 {Broadcast} {sm} 62 60 3000");
        Assert.Equal(new Dictionary<uint, long> { [60] = 1, [62] = 100 }, ValeShellPeer.Tags(c.Call("recv c 100 5000")));
        c.Call($"send c 100 {sm} {cm} 63 60 3000");
        Assert.Equal(new Dictionary<uint, long> { [60] = 1, [63] = 100 }, ValeShellPeer.Tags(s.Call("recv s 100 5000")));
        Assert.False(daemon.HasExited);
    }
}
