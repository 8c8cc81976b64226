namespace Netmap.Tests.Nic.Xdp;

/// <summary>netmap mode takes the interface away from the host stack, and Dispose gives it back.</summary>
public sealed class XdpHostStackTests
{
    [Fact]
    public void WhileAttached_TheStackGetsNothing_AfterDispose_ItDoesAgain()
    {
        using var bed = new XdpBed(attach: false);
        bed.Lab.Exec(bed.NetmapNs, $"ip addr add 192.0.2.1/24 dev {bed.Dev}");
        bed.Lab.Exec(bed.PeerNs, $"ip addr add 192.0.2.2/24 dev {bed.PeerDev}");
        bed.Attach();
        Assert.True(bed.Lab.HasXdpProgram(bed.NetmapNs, bed.Dev));

        var during = bed.Lab.Ping(bed.PeerNs, "192.0.2.1", count: 2);
        Assert.False(during.Answered, during.ToString());
        // The peer's ARP requests went to the netmap RX ring instead.
        var got = bed.Receive(1, timeoutMs: 2000);
        Assert.Contains(got, f => f.Length >= 14 && f[12] == 0x08 && f[13] == 0x06);

        bed.Detach();
        Assert.True(bed.Lab.XdpProgramGone(bed.NetmapNs, bed.Dev));
        var after = bed.Lab.Ping(bed.PeerNs, "192.0.2.1", timeoutMs: 2000);
        Assert.True(after.Answered, after.ToString());
    }
}
