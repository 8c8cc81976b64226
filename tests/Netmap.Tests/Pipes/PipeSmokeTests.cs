using Netmap.Api;
using Netmap.Engine;
using Netmap.Hosting;

namespace Netmap.Tests.Pipes;

public class PipeSmokeTests
{
    [Fact]
    public void Inject_OnMaster_ArrivesOnSlave_Embedded()
    {
        using var engine = new NetmapEngine();
        var host = NetmapHost.Embedded(engine);
        using var m = NetmapPort.Open("netmap:smk{1", host);
        using var s = NetmapPort.Open("netmap:smk}1", host);
        Assert.True(m.Inject(new byte[] { 1, 2, 3, 4 }));
        m.TxSync();
        s.RxSync();
        Assert.True(s.NextPacket(out var f, out _));
        Assert.Equal(new byte[] { 1, 2, 3, 4 }, f.ToArray());
    }
}
