using System.Diagnostics;
using Netmap.Api;
using Netmap.Interop;

namespace Netmap.Tests.Pipes;

/// <summary>Sleeping until a pipe end is ready: Poll, WaitAsync and the FileDescriptor + PrepareWait path.</summary>
public sealed class PipeWaitTests : IDisposable
{
    private readonly PipePair _p = new("wait");

    public void Dispose() => _p.Dispose();

    [Fact]
    public void Poll_BlockedOnIn_WakesWhenThePeerSends()
    {
        var woke = new ManualResetEventSlim();
        var ev = PollEvents.None;
        long wokeAt = 0;
        var waiter = new Thread(() =>
        {
            ev = _p.Slave.Poll(PollEvents.In, 5000);
            wokeAt = Stopwatch.GetTimestamp();
            woke.Set();
        }) { IsBackground = true };
        waiter.Start();
        Thread.Sleep(150); // let it go to sleep
        Assert.False(woke.IsSet);

        long sentAt = Stopwatch.GetTimestamp();
        Assert.True(_p.Master.Inject("wake"u8));
        Assert.True(_p.Master.TxSync());

        Assert.True(woke.Wait(TimeSpan.FromSeconds(3)), "Poll did not wake");
        Assert.True(waiter.Join(1000));
        Assert.Equal(PollEvents.In, ev);
        var latency = Stopwatch.GetElapsedTime(sentAt, wokeAt);
        Assert.True(latency < TimeSpan.FromMilliseconds(500), $"woke {latency.TotalMilliseconds:F1} ms after the send");
        Assert.True(_p.Slave.NextPacket(out var f, out _));
        Assert.Equal("wake"u8.ToArray(), f.ToArray());
    }

    [Fact]
    public void Poll_BlockedOnOut_WakesWhenTheReceiverReleasesSlots()
    {
        using var p = new PipePair("waitout", suffix: "@conf:slots=4");
        while (p.Master.Inject(new byte[1])) { }
        Assert.True(p.Master.TxSync());
        Assert.Equal(PollEvents.None, p.Master.Poll(PollEvents.Out, 0));

        var task = Task.Run(() => p.Master.Poll(PollEvents.Out, 5000));
        Thread.Sleep(100);
        Assert.False(task.IsCompleted);
        Assert.True(p.Slave.RxSync());
        while (p.Slave.NextPacket(out _, out _)) { }
        Assert.True(p.Slave.RxSync());

        Assert.True(task.Wait(TimeSpan.FromSeconds(3)), "Poll(Out) did not wake");
        Assert.Equal(PollEvents.Out, task.Result);
        Assert.Equal(3u, p.Master.TxRings[0].Space);
    }

    [Fact]
    public void Poll_WithNothingToDo_ReturnsNoneAfterTheTimeout()
    {
        var sw = Stopwatch.StartNew();
        var ev = _p.Slave.Poll(PollEvents.In, 200);
        sw.Stop();
        Assert.Equal(PollEvents.None, ev);
        Assert.InRange(sw.ElapsedMilliseconds, 190, 2000);
    }

    [Fact]
    public void Poll_WithZeroTimeout_ReturnsAtOnce()
    {
        var sw = Stopwatch.StartNew();
        Assert.Equal(PollEvents.None, _p.Slave.Poll(PollEvents.In, 0));
        Assert.True(sw.ElapsedMilliseconds < 100);
        Assert.True(_p.Master.Inject(new byte[1]));
        Assert.True(_p.Master.TxSync());
        Assert.Equal(PollEvents.In, _p.Slave.Poll(PollEvents.In, 0));
    }

    [Fact]
    public async Task WaitAsync_CompletesWhenDataArrives()
    {
        var wait = _p.Slave.WaitAsync(PollEvents.In).AsTask();
        await Task.Delay(100);
        Assert.False(wait.IsCompleted);

        Assert.True(_p.Master.Inject("async"u8));
        Assert.True(_p.Master.TxSync());

        var done = await Task.WhenAny(wait, Task.Delay(5000));
        Assert.Same(wait, done);
        Assert.Equal(PollEvents.In, await wait);
    }

    [Fact]
    public async Task WaitAsync_CompletesSynchronously_WhenAlreadyReady()
    {
        Assert.True(_p.Master.Inject("ready"u8));
        Assert.True(_p.Master.TxSync());
        var wait = _p.Slave.WaitAsync(PollEvents.In);
        Assert.True(wait.IsCompletedSuccessfully);
        Assert.Equal(PollEvents.In, await wait);
    }

    [Fact]
    public async Task WaitAsync_HonoursCancellation()
    {
        using var cts = new CancellationTokenSource(100);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await _p.Slave.WaitAsync(PollEvents.In, cts.Token));
    }

    [Fact]
    public void PrepareWait_ArmsTheEventFd_SoASendMakesItReadable()
    {
        int fd = _p.Slave.FileDescriptor;
        Assert.True(fd >= 0);
        Assert.Equal(PollEvents.None, _p.Slave.PrepareWait(PollEvents.In));
        Assert.Equal(0, FdPoll.WaitReadable(fd, 0));

        Assert.True(_p.Master.Inject("fd"u8));
        Assert.True(_p.Master.TxSync());

        Assert.NotEqual(0, FdPoll.WaitReadable(fd, 1000));
        _p.Slave.AcknowledgeWakeup();
        Assert.Equal(0, FdPoll.WaitReadable(fd, 0));
        Assert.Equal(PollEvents.In, _p.Slave.Poll(PollEvents.In, 0));
        Assert.True(_p.Slave.NextPacket(out var f, out _));
        Assert.Equal("fd"u8.ToArray(), f.ToArray());
    }

    [Fact]
    public void WithoutPrepareWait_TheSenderDoesNotKick()
    {
        int fd = _p.Slave.FileDescriptor;
        Assert.True(_p.Master.Inject("quiet"u8));
        Assert.True(_p.Master.TxSync());
        Assert.Equal(0, FdPoll.WaitReadable(fd, 0)); // nobody armed: no eventfd write on the hot path
    }

    [Fact]
    public void PrepareWait_WhenDataIsAlreadyThere_ReportsItAndDoesNotArm()
    {
        Assert.True(_p.Master.Inject("early"u8));
        Assert.True(_p.Master.TxSync());
        Assert.Equal(PollEvents.In, _p.Slave.PrepareWait(PollEvents.In));
        Assert.Equal(0u, _p.Slave.RxKrings[0].State.NeedKick);
    }
}
