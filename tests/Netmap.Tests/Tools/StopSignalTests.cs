using System.Diagnostics;
using Netmap.Api;
using Netmap.Engine;
using Netmap.Hosting;
using Netmap.Tools;

namespace Netmap.Tests.Tools;

public class StopSignalTests
{
    [Fact]
    public void Poll_SleepingForSeconds_ReturnsSoonAfterTheStop()
    {
        using var engine = new NetmapEngine();
        using var rx = NetmapPort.Open("netmap:stp}1", NetmapHost.Embedded(engine));
        var stop = new StopSignal();
        var clock = Stopwatch.StartNew();
        var waiter = Task.Run(() => stop.Poll(rx, PollEvents.In, 10_000));
        Thread.Sleep(200);
        Assert.False(waiter.IsCompleted);
        stop.Set();
        Assert.True(waiter.Wait(TimeSpan.FromSeconds(3)), "Poll did not notice the stop");
        Assert.Equal(PollEvents.None, waiter.Result);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"took {clock.Elapsed}");
    }

    [Fact]
    public void Poll_ReturnsWhatIsReady_AndHonoursItsTimeout()
    {
        using var engine = new NetmapEngine();
        var host = NetmapHost.Embedded(engine);
        using var rx = NetmapPort.Open("netmap:stq}1", host);
        using var tx = NetmapPort.Open("netmap:stq{1", host);
        var stop = new StopSignal();
        var clock = Stopwatch.StartNew();
        Assert.Equal(PollEvents.None, stop.Poll(rx, PollEvents.In, 300));
        Assert.True(clock.ElapsedMilliseconds >= 250, $"returned after {clock.ElapsedMilliseconds} ms");
        Assert.True(tx.Inject(new byte[60]));
        tx.TxSync();
        Assert.Equal(PollEvents.In, stop.Poll(rx, PollEvents.In, 5000));
        Assert.Equal(PollEvents.In, stop.Poll(rx, PollEvents.In, 0));
    }

    [Fact]
    public void Sleep_EndsEarlyOnStop()
    {
        var stop = new StopSignal();
        Assert.False(stop.Sleep(10));
        _ = Task.Run(() => { Thread.Sleep(100); stop.Set(); });
        var clock = Stopwatch.StartNew();
        Assert.True(stop.Sleep(10_000));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5));
        Assert.True(stop.IsSet);
    }
}
