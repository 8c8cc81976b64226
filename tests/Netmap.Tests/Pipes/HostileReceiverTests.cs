using System.Diagnostics;
using Netmap.Api;
using Netmap.Tests.Infrastructure;

namespace Netmap.Tests.Pipes;

/// <summary>
/// A pipe receiver that hands slots back with buffer indices outside the pool and NS_BUF_CHANGED (the report: the
/// sender died with an ArgumentOutOfRangeException). <see cref="NetmapPort.Inject"/> and <see cref="PortBridge"/>
/// keep running, count the bad slots, and frames keep arriving intact.
/// </summary>
public sealed class HostileReceiverTests
{
    private static byte[] Frame()
    {
        var f = new byte[60];
        f[0] = 0x5a;
        return f;
    }

    [Fact]
    public void Inject_SkipsAndCountsSlotsWithInvalidBuffers_AndKeepsSending()
    {
        using var p = new PipePair("hri");
        using var hostile = new HostileReceiver(p.Slave);
        var frame = Frame();
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(1.5) && hostile.Failure is null)
        {
            for (int i = 0; i < 64 && p.Master.Inject(frame); i++) { }
            p.Master.TxSync();
            p.Master.Poll(PollEvents.Out, 5);
        }
        long intactBefore = hostile.Intact;
        Assert.True(SpinUntil(() => Send(p.Master, frame) && hostile.Intact > intactBefore + 1000), "frames stopped arriving");
        Assert.Null(hostile.Failure);
        Assert.True(hostile.Poisoned > 100);
        Assert.True(p.Master.InvalidSlots > 0, "no invalid slot was counted");
    }

    [Fact]
    public void PortBridge_DropsAndCountsSlotsWithInvalidBuffers_AndKeepsForwarding()
    {
        using var a = new PipePair("hrba");
        using var b = new PipePair("hrbb", engine: a.Engine);
        var bridge = new PortBridge(a.Slave, b.Master);
        Assert.False(bridge.ZeroCopy);
        using var hostile = new HostileReceiver(b.Slave);
        var frame = Frame();
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(1.5) && hostile.Failure is null)
        {
            for (int i = 0; i < 64 && a.Master.Inject(frame); i++) { }
            a.Master.TxSync();
            bridge.Forward();
        }
        long intactBefore = hostile.Intact;
        Assert.True(SpinUntil(() => { Send(a.Master, frame); bridge.Forward(); return hostile.Intact > intactBefore + 1000; }), "frames stopped arriving");
        Assert.Null(hostile.Failure);
        Assert.True(bridge.Dropped > 0, "no invalid slot was counted");
    }

    private static bool Send(NetmapPort port, byte[] frame)
    {
        for (int i = 0; i < 64 && port.Inject(frame); i++) { }
        port.TxSync();
        return true;
    }

    private static bool SpinUntil(Func<bool> done)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(5))
        {
            if (done()) return true;
            Thread.Sleep(1);
        }
        return false;
    }
}
