using Netmap.Adapters.Nic;

namespace Netmap.Tests.Nic.Packet;

/// <summary>
/// While the AF_PACKET attachment holds an interface, the host stack neither receives from it (tcx ingress drop)
/// nor transmits on it (tcx egress drop), though the netmap rings do both; Dispose gives it back entirely.
/// </summary>
public sealed class PacketDivertTests
{
    private static bool Ping(PacketBed bed, string fromNs, string to)
        => bed.Lab.Ping(fromNs, to).Answered;

    private static void Address(PacketBed bed)
    {
        bed.Lab.Exec(bed.NsNetmap, $"ip addr add 10.77.0.1/24 dev {bed.Dev}");
        bed.Lab.Exec(bed.NsPeer, $"ip addr add 10.77.0.2/24 dev {bed.PeerDev}");
    }

    [Fact]
    public void WhileAttached_PingsFail_AfterDispose_TheyWorkAgain()
    {
        using var bed = new PacketBed(slots: 64, attach: false);
        Address(bed);
        Assert.True(Ping(bed, bed.NsPeer, "10.77.0.1"), "baseline: the peer reaches the interface");
        bed.Lab.Exec(bed.NsPeer, $"ip neigh flush dev {bed.PeerDev}");
        bed.Lab.Exec(bed.NsNetmap, $"ip neigh flush dev {bed.Dev}");

        bed.Attach();
        Assert.False(Ping(bed, bed.NsPeer, "10.77.0.1"), "the host stack must not receive while in netmap mode");
        // ...but the netmap RX ring got the peer's ARP requests.
        var seen = bed.ReceiveFrames(1, timeoutMs: 2000);
        Assert.Contains(seen, f => f.Length >= 14 && f[12] == 0x08 && f[13] == 0x06);

        bed.Detach();
        Assert.True(Ping(bed, bed.NsPeer, "10.77.0.1"), "after Dispose the host stack gets the traffic again");
        Assert.True(Ping(bed, bed.NsNetmap, "10.77.0.2"), "and sends again");
    }

    [Fact]
    public void WhileAttached_HostStackTransmissionsStayOffTheWire_ButTheTxRingsFramesGoOut()
    {
        using var bed = new PacketBed(slots: 64, attach: false);
        Address(bed);
        bed.Attach();

        // The host stack of the netmap side tries to reach the peer (ARP requests) while netmap sends 20 frames.
        var ping = bed.Lab.PingAsync(bed.NsNetmap, "10.77.0.2", count: 3);
        bed.Send(Enumerable.Range(0, 20).Select(i => PacketFrames.Make(i, 100)));
        var others = new List<byte[]>();
        var ours = bed.Peer.ReceiveTestFrames(20, quietMs: 1500, others);
        Assert.True(ping.Wait(5000), "the background ping did not end");
        // Frames still in flight from the host stack would show up here.
        for (byte[]? f; (f = bed.Peer.Receive(200)) is not null;) others.Add(f);

        Assert.Equal(20, ours.Count);
        Assert.Empty(others);
        Assert.False(ping.Result.Answered, ping.Result.ToString());
    }

    [Fact]
    public void AfterDispose_NoTcxLinkRemains()
    {
        using var bed = new PacketBed(slots: 64, attach: false);
        int before = TcxLinks.CountOwnOn(bed.IfIndex);
        bed.Attach();
        Assert.Equal(before + 2, TcxLinks.CountOwnOn(bed.IfIndex));
        bed.Detach();
        Assert.Equal(before, TcxLinks.CountOwnOn(bed.IfIndex));
    }
}
