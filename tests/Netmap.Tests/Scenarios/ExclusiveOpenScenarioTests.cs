using System.Diagnostics;
using Netmap.Abi;
using Netmap.Api;
using Netmap.Hosting;
using Netmap.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Netmap.Tests.Scenarios;

// Test objective: NR_EXCLUSIVE ("/x") is enforced by netmapd across processes: while one process holds
// "x{1/x", any other process opening "netmap:x{1" gets EBUSY with a message naming the port and the cause; the
// hold is released when the holder dies by SIGKILL (the daemon learns of the death only from the connection
// closing), after which the open succeeds.
[Collection(ScenarioCollection.Name)]
public sealed class ExclusiveOpenScenarioTests(DaemonFixture daemon, ITestOutputHelper log) : IClassFixture<DaemonFixture>
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(20);

    [Fact]
    public void ExclusiveHold_RefusesOtherProcesses_WithEbusy_UntilTheHolderIsKilled()
    {
        var host = NetmapHost.Daemon(daemon.SocketPath);
        using var holder = PeerProcess.Start(log, "holder", daemon.SocketPath, ["hold", "netmap:x{1/x"]);
        holder.WaitForLine(PeerProtocol.Ready, Limit);

        // This process, through netmapd.
        var e = Assert.Throws<NetmapException>(() => NetmapPort.Open("netmap:x{1", host).Dispose());
        log.WriteLine($"in-process open: {e.Message}");
        Assert.Equal(Errno.EBUSY, e.Errno);
        Assert.Contains("x{1", e.Message);
        Assert.Contains("EBUSY", e.Message);
        Assert.Contains("exclusive", e.Message);

        // Another process.
        using (var other = PeerProcess.Start(log, "other", daemon.SocketPath, ["open-expect-error", "netmap:x{1", "EBUSY"]))
        {
            other.ExpectSuccess(Limit);
            string line = other.WaitForLine(PeerProtocol.Error, Limit);
            Assert.Contains("x{1", line);
            Assert.Contains("exclusive", line);
        }

        // An exclusive open is refused too, and so is a second exclusive holder of the same ring.
        var e2 = Assert.Throws<NetmapException>(() => NetmapPort.Open("netmap:x{1/x", host).Dispose());
        Assert.Equal(Errno.EBUSY, e2.Errno);

        // The other end of the pipe is a different port: not held.
        using (var slave = NetmapPort.Open("netmap:x}1", host))
            Assert.Equal(1, slave.TxRings.Count);

        holder.Kill();
        var clock = Stopwatch.StartNew();
        NetmapPort? port = null;
        try
        {
            // netmapd releases the hold when it sees the connection close; give it a moment.
            while (port is null)
            {
                try { port = NetmapPort.Open("netmap:x{1", host); }
                catch (NetmapException busy) when (busy.Errno == Errno.EBUSY && clock.Elapsed < TimeSpan.FromSeconds(5)) { Thread.Sleep(5); }
            }
            log.WriteLine($"open succeeded {clock.Elapsed.TotalMilliseconds:F0} ms after the SIGKILL");
            Assert.Equal(1, port.TxRings.Count);
            Assert.Equal(1, port.RxRings.Count);
        }
        finally
        {
            port?.Dispose();
        }

        // And the exclusive hold itself can be taken again, by another process.
        using var again = PeerProcess.Start(log, "holder2", daemon.SocketPath, ["hold", "netmap:x{1", "exclusive"]);
        again.WaitForLine(PeerProtocol.Ready, Limit);
        Assert.Equal(Errno.EBUSY, Assert.Throws<NetmapException>(() => NetmapPort.Open("netmap:x{1", host).Dispose()).Errno);
        Assert.False(daemon.HasExited);
    }
}
