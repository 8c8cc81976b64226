using System.Diagnostics;
using Netmap.Tests.Pipes;

namespace Netmap.Tests.Api;

/// <summary>
/// WaitAsync's contract on an embedded pipe: a cancelled token first, synchronous completion when ready, netmap's
/// NeedKick protocol while pending, prompt cancellation and Dispose, one waiter at a time, Out waits, and the
/// pending path served by the shared wait loop (no thread per wait).
/// </summary>
public sealed class WaitAsyncTests : IDisposable
{
    private readonly PipePair _p = new("wa");

    public void Dispose() => _p.Dispose();

    private void Send(string text)
    {
        Assert.True(_p.Master.Inject(System.Text.Encoding.ASCII.GetBytes(text)));
        Assert.True(_p.Master.TxSync());
    }

    [Fact]
    public void WaitAsync_WithACancelledToken_IsCancelled_EvenWhenDataIsReady()
    {
        Send("ready");
        using var cts = new CancellationTokenSource();
        cts.Cancel();
        var wait = _p.Slave.WaitAsync(PollEvents.In, cts.Token);
        Assert.True(wait.IsCanceled);
        // The rings were not looked at: the frame is still unsynced on the receiver's side.
        Assert.Equal(0u, _p.Slave.RxRings[0].Space);
        Assert.Equal(PollEvents.In, _p.Slave.Poll(PollEvents.In, 0));
    }

    [Fact]
    public async Task WaitAsync_WhenReady_CompletesSynchronously()
    {
        Send("now");
        var wait = _p.Slave.WaitAsync(PollEvents.In);
        Assert.True(wait.IsCompletedSuccessfully);
        Assert.Equal(PollEvents.In, await wait);
    }

    [Fact]
    public void WaitAsync_WhenReady_AllocatesNothing()
    {
        Send("ready");
        for (int i = 0; i < 100; i++) _ = _p.Slave.WaitAsync(PollEvents.In).Result;
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 100_000; i++)
        {
            var wait = _p.Slave.WaitAsync(PollEvents.In);
            Assert.True(wait.IsCompletedSuccessfully);
        }
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public async Task WaitAsync_Pending_ArmsNeedKick_AndCompletesWhenThePeerSends()
    {
        var wait = _p.Slave.WaitAsync(PollEvents.In);
        Assert.False(wait.IsCompleted);
        Assert.Equal(1u, _p.Slave.RxKrings[0].State.NeedKick); // netmap's protocol: armed before sleeping
        await Task.Delay(50);
        Assert.False(wait.IsCompleted);
        Send("late");
        Assert.Equal(PollEvents.In, await wait.AsTask().WaitAsync(TimeSpan.FromSeconds(5)));
        Assert.True(_p.Slave.NextPacket(out var frame, out _));
        Assert.Equal("late"u8.ToArray(), frame.ToArray());
    }

    [Fact]
    public async Task WaitAsync_ForOut_CompletesWhenTheReceiverFreesSlots()
    {
        using var p = new PipePair("waout", suffix: "@conf:slots=4");
        while (p.Master.Inject(new byte[1])) { }
        Assert.True(p.Master.TxSync());
        var wait = p.Master.WaitAsync(PollEvents.Out);
        Assert.False(wait.IsCompleted);
        Assert.True(p.Slave.RxSync());
        while (p.Slave.NextPacket(out _, out _)) { }
        Assert.True(p.Slave.RxSync());
        Assert.Equal(PollEvents.Out, await wait.AsTask().WaitAsync(TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public async Task WaitAsync_CancelledWhilePending_CompletesPromptly()
    {
        // The median of several cancellations: a pending wait is completed by the cancellation itself, not found at
        // the end of a polling slice (50 ms slices would give ~25 ms on average).
        var latencies = new List<double>();
        for (int i = 0; i < 9; i++)
        {
            using var cts = new CancellationTokenSource();
            var wait = _p.Slave.WaitAsync(PollEvents.In, cts.Token).AsTask();
            await Task.Delay(20);
            Assert.False(wait.IsCompleted);
            var clock = System.Diagnostics.Stopwatch.StartNew();
            cts.Cancel();
            var e = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => wait.WaitAsync(TimeSpan.FromSeconds(5)));
            latencies.Add(clock.Elapsed.TotalMilliseconds);
            Assert.Equal(cts.Token, e.CancellationToken);
        }
        latencies.Sort();
        Assert.True(latencies[4] < 10, $"median cancellation latency {latencies[4]:F1} ms ({string.Join(", ", latencies.Select(l => l.ToString("F1")))})");
        // The port's waiter is reusable right away.
        Send("after");
        Assert.Equal(PollEvents.In, await _p.Slave.WaitAsync(PollEvents.In));
    }

    [Fact]
    public async Task WaitAsync_SecondConcurrentWait_IsRefused()
    {
        var first = _p.Slave.WaitAsync(PollEvents.In);
        Assert.False(first.IsCompleted);
        var e = Assert.Throws<InvalidOperationException>(() => _p.Slave.WaitAsync(PollEvents.In));
        Assert.Contains("already pending", e.Message);
        Send("x");
        Assert.Equal(PollEvents.In, await first.AsTask().WaitAsync(TimeSpan.FromSeconds(5)));
    }

    [Fact]
    public async Task WaitAsync_RepeatedThousandsOfTimes_StaysCorrect()
    {
        // Each round: the receiver waits (pending: it consumed everything), the sender sends one frame.
        var slave = _p.Slave;
        for (int i = 0; i < 3000; i++)
        {
            var wait = slave.WaitAsync(PollEvents.In);
            Assert.True(_p.Master.Inject(BitConverter.GetBytes(i)));
            Assert.True(_p.Master.TxSync());
            Assert.Equal(PollEvents.In, await wait);
            Assert.True(slave.NextPacket(out var f, out _));
            Assert.Equal(i, BitConverter.ToInt32(f));
        }
    }

    [Fact]
    public async Task WaitAsync_ContinuationDoesNotRunOnTheWaitLoopThread()
    {
        var wait = _p.Slave.WaitAsync(PollEvents.In);
        _ = Task.Run(async () => { await Task.Delay(30); Send("t"); });
        await wait.AsTask().WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        Assert.NotEqual("netmap wait loop", Thread.CurrentThread.Name);
        Assert.True(Thread.CurrentThread.IsThreadPoolThread);
    }

    [Fact]
    public async Task WaitAsync_DropsAResultNobodyAwaited_AndWaitsAgain()
    {
        _ = _p.Slave.WaitAsync(PollEvents.In); // never awaited
        Send("a");
        await Task.Delay(50); // the dropped wait completes meanwhile
        while (_p.Slave.NextPacket(out _, out _)) { }
        Assert.True(_p.Slave.RxSync());
        var next = _p.Slave.WaitAsync(PollEvents.In);
        Assert.False(next.IsCompleted);
        Send("b");
        Assert.Equal(PollEvents.In, await next.AsTask().WaitAsync(TimeSpan.FromSeconds(5)));
    }
}
