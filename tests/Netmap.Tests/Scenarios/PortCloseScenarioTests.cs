using Netmap.Abi;
using Netmap.Api;
using Netmap.Hosting;
using Netmap.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Netmap.Tests.Scenarios;

// Test objective: closing a port through netmapd is synchronous, as close(2) of a /dev/netmap descriptor is in
// netmap: when NetmapPort.Dispose returns, the registration is gone, so this process (or any other) can at once
// take the port exclusively again, and a pipe whose two ends are closed has been freed (a new open starts empty,
// spec section 6). Without it, "close, reopen exclusive" fails with EBUSY now and then, and a reopened pipe
// sometimes still holds the packets of the pipe that should have been freed.
[Collection(ScenarioCollection.Name)]
public sealed class PortCloseScenarioTests(DaemonFixture daemon, ITestOutputHelper log) : IClassFixture<DaemonFixture>
{
    [Fact]
    public void Dispose_ReleasesTheExclusiveHoldBeforeReturning()
    {
        var host = NetmapHost.Daemon(daemon.SocketPath);
        int busy = 0;
        string? first = null;
        for (int i = 0; i < 300; i++)
        {
            try
            {
                using var p = NetmapPort.Open("netmap:cl{1/x", host);
            }
            catch (NetmapException e) when (e.Errno == Errno.EBUSY)
            {
                busy++;
                first ??= $"iteration {i}: {e.Message}";
            }
        }
        log.WriteLine($"{busy} of 300 close-then-reopen cycles got EBUSY; first: {first}");
        Assert.True(busy == 0, $"{busy} of 300 exclusive reopens right after Dispose got EBUSY; first: {first}");
    }

    [Fact]
    public void Dispose_OfBothPipeEnds_FreesThePipeBeforeReturning()
    {
        var host = NetmapHost.Daemon(daemon.SocketPath);
        // Keeps the parent (and its region) alive, so only the pipe itself is freed and recreated.
        using var anchor = NetmapPort.Open("netmap:cf{0", host);
        int stale = 0;
        for (int i = 0; i < 200; i++)
        {
            using (var m = NetmapPort.Open("netmap:cf{1", host))
            {
                Assert.True(m.Inject(new byte[60]));
                m.TxSync();
            }
            // Both ends are closed now: the pipe and its queued packet are gone, a new open starts empty.
            using var s = NetmapPort.Open("netmap:cf}1", host);
            s.RxSync();
            if (s.RxRings[0].Space != 0) stale++;
        }
        log.WriteLine($"{stale} of 200 reopened pipes still held the packet of a closed pipe");
        Assert.True(stale == 0, $"{stale} of 200 pipes reopened right after both ends were disposed still held the old packet");
    }
}
