using System.Diagnostics;
using Netmap.Interop;

namespace Netmap.Tests.Wakeup;

/// <summary>The wakeup line: signalling never blocks and never raises SIGPIPE, whatever a holder of either end does.</summary>
public sealed class KickLineTests
{
    private const int SHUT_RDWR = 2;

    [Fact]
    public void Signal_MakesTheWaitEndReadable_AndDrainTakesIt()
    {
        using var line = KickLine.Create("test");
        Assert.False(line.Drain());
        line.Signal();
        Assert.NotEqual(0, FdPoll.WaitReadable(line.WaitFd, 1000) & Libc.POLLIN);
        Assert.True(line.Drain());
        Assert.Equal(0, FdPoll.WaitReadable(line.WaitFd, 0));
    }

    [Fact]
    public void Signal_NeverBlocks_WhenAHostileHolderClearedONonBlock_AndNobodyDrains()
    {
        using var line = KickLine.Create("test");
        // A hostile holder shares the open file descriptions: it makes both ends blocking.
        Assert.Equal(0, Libc.fcntl(line.SignalFd, Libc.F_SETFL, Libc.fcntl(line.SignalFd, Libc.F_GETFL, 0) & ~Libc.O_NONBLOCK));
        Assert.Equal(0, Libc.fcntl(line.WaitFd, Libc.F_SETFL, Libc.fcntl(line.WaitFd, Libc.F_GETFL, 0) & ~Libc.O_NONBLOCK));
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < 100_000; i++) line.Signal(); // far more than the socket buffer holds
        Assert.True(clock.ElapsedMilliseconds < 10_000, $"100000 signals took {clock.ElapsedMilliseconds} ms");
        Assert.True(line.Drain());
        // Drain is bounded: a flood never keeps a waiter in it, and the rest stays pending (a spurious wakeup at worst).
        while (line.Drain()) { }
        Assert.False(line.Drain()); // empty now, and the blocking flag did not make recv block
    }

    [Fact]
    public void Signal_AfterTheWaiterShutItsEndDown_FailsQuietly_WithoutSigpipe()
    {
        using var line = KickLine.Create("test");
        Assert.Equal(0, Libc.shutdown(line.WaitFd, SHUT_RDWR));
        Assert.Equal(0, Libc.shutdown(line.SignalFd, SHUT_RDWR));
        for (int i = 0; i < 10; i++) line.Signal(); // EPIPE, no signal: the test process is still here
        Assert.False(line.Drain());
    }

    [Fact]
    public void ShuttingDownTheSignalEnd_DoesNotMakeTheWaitEndReadable()
    {
        using var line = KickLine.Create("test");
        Assert.Equal(0, Libc.shutdown(line.SignalFd, SHUT_RDWR));
        Assert.Equal(0, FdPoll.WaitReadable(line.WaitFd, 50)); // datagram shutdown does not propagate: no EOF storm
    }
}
