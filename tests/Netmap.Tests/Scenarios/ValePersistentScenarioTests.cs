using Netmap.Abi;
using Netmap.Api;
using Netmap.Hosting;
using Netmap.Tests.Infrastructure;
using Xunit.Abstractions;
using static Netmap.Tests.Scenarios.ValeScenario;

namespace Netmap.Tests.Scenarios;

// Test objective: a persistent VALE port made and plugged in with vale-ctl's requests (NetmapControl through
// netmapd: VALE_NEWIF, VALE_ATTACH) is opened by one process as "netmap:NAME" and exchanges frames with an
// ephemeral port opened by another; it outlives its client (still listed, reopened with fresh rings and working
// again), refuses deletion while open or attached (EBUSY), and detach + delete remove it for good.
[Collection(ScenarioCollection.Name)]
public sealed class ValePersistentScenarioTests(DaemonFixture daemon, ITestOutputHelper log) : IClassFixture<DaemonFixture>
{
    [Fact]
    public void PersistentPort_CreatedAndAttachedByControl_ExchangesWithAnEphemeralPortInAnotherProcess()
    {
        var host = NetmapHost.Daemon(daemon.SocketPath);
        var created = NetmapControl.NewInterface("vp6", default, host);
        Assert.Equal((1024u, 1024u), (created.TxSlots, created.RxSlots));
        uint index = NetmapControl.ValeAttach("vale6:vp6", host: host);
        Assert.Equal(new[] { "vale6:vp6" }, Listed(host, "vale6"));

        var peers = StartPeers(log, daemon, "P", "E");
        using var p = peers[0];
        using var e = peers[1];
        ushort memP = p.Open("p", "netmap:vp6");
        ushort memE = e.Open("e", "vale6:e");
        Assert.Equal(created.MemId, memP);
        Assert.NotEqual(memP, memE);
        Assert.Equal(new[] { "vale6:e", "vale6:vp6" }, Listed(host, "vale6"));
        string pm = Mac(0x61), em = Mac(0x62);

        p.Call($"send p 300 {Broadcast} {pm} 70 60 3000");
        Assert.Equal(new Dictionary<uint, long> { [70] = 300 }, ValeShellPeer.Tags(e.Call("recv e 300 5000")));
        e.Call($"send e 300 {pm} {em} 71 60 3000");
        Assert.Equal(new Dictionary<uint, long> { [71] = 300 }, ValeShellPeer.Tags(p.Call("recv p 300 5000")));
        var sp = NetmapControl.ValePortStats("vale6:vp6", host);
        Assert.Equal((300ul, 300ul, 0ul), (sp.TxPackets, sp.RxPackets, sp.RxDrops));
        Assert.Equal(index, sp.PortIndex);

        // Open: not deletable. Closed: still there (attached), and a new open gets a working port again.
        Assert.Equal(Errno.EBUSY, Assert.Throws<NetmapException>(() => NetmapControl.DeleteInterface("vp6", host)).Errno);
        p.Call("close p");
        Assert.Equal(new[] { "vale6:e", "vale6:vp6" }, Listed(host, "vale6"));
        Assert.Equal(Errno.EBUSY, Assert.Throws<NetmapException>(() => NetmapControl.DeleteInterface("vp6", host)).Errno);
        p.Open("p", "netmap:vp6");
        e.Call($"send e 50 {Broadcast} {em} 72 60 1500");
        Assert.Equal(new Dictionary<uint, long> { [72] = 50 }, ValeShellPeer.Tags(p.Call("recv p 50 5000")));
        p.Call("close p");

        // Detach, then delete: gone from the switch and from the engine.
        Assert.Equal(index, NetmapControl.ValeDetach("vale6:vp6", host));
        Assert.Equal(new[] { "vale6:e" }, Listed(host, "vale6"));
        NetmapControl.DeleteInterface("vp6", host);
        Assert.Equal(Errno.ENXIO, Assert.Throws<NetmapException>(() => NetmapControl.DeleteInterface("vp6", host)).Errno);
        Assert.ThrowsAny<NetmapException>(() => NetmapPort.Open("netmap:vp6", host).Dispose());
        e.Call("quiet e 20");
        Assert.False(daemon.HasExited);
    }
}
