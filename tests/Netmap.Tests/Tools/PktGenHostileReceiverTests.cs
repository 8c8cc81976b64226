using Netmap.Tools;
using Netmap.Engine;
using Netmap.Hosting;
using Netmap.Tests.Infrastructure;
using Netmap.Tools.PktGen;

namespace Netmap.Tests.Tools;

/// <summary>pkt-gen -f tx against a pipe receiver that hands buffers back with invalid indices and NS_BUF_CHANGED
/// (the report: pkt-gen died in NetmapRing.Buffer): it keeps sending, exits normally, and says how many slots it
/// skipped.</summary>
public class PktGenHostileReceiverTests
{
    [Theory(Timeout = 60_000)]
    [InlineData("60")]
    [InlineData("3000")] // two fragments per packet
    public async Task Tx_SkipsAndReportsSlotsWithInvalidBuffers(string length)
    {
        using var engine = new NetmapEngine();
        var host = NetmapHost.Embedded(engine);
        var stop = new StopSignal();
        // The receiving end first, so pkt-gen opens the other end of an existing pipe.
        using var rx = NetmapPort.Open("netmap:phr}1", host);
        using var hostile = new HostileReceiver(rx, poison: 5000, every: 4);
        var tx = PktGenInProcess.Start(host, stop, "-i", "netmap:phr{1", "-f", "tx", "-l", length, "-w", "0", "-T", "100");
        await Task.Delay(1500);
        stop.Set();
        var t = await tx;

        Assert.Null(hostile.Failure);
        Assert.True(t.Exit == 0, t.Out + t.Err);
        Assert.True(hostile.Poisoned > 100);
        Assert.Matches(@"main_thread \[\d+\] \d+ slots with an invalid buffer index skipped", t.Err);
    }
}
