using System.Diagnostics;
using Netmap.Api;
using Netmap.Hosting;
using Netmap.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Netmap.Tests.Scenarios;

// Test objective: the data path of a pipe does not pass through netmapd. While two child processes move
// 5,000,000 packets through a pipe (the syncs run in the children over the shared region, wakeups go straight
// from one child's eventfd to the other's), netmapd's CPU time (utime + stime from /proc/PID/stat) grows by less
// than 5% of the children's CPU time, or by less than 100 ms in absolute terms. The window covers the children's
// whole lives, opens and closes included.
[Collection(ScenarioCollection.Name)]
public sealed class DataPathScenarioTests(DaemonFixture daemon, ITestOutputHelper log) : IClassFixture<DaemonFixture>
{
    private const int Packets = 5_000_000;
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(25);

    [Fact]
    public void FiveMillionPackets_BetweenTwoProcesses_CostNetmapdAlmostNothing()
    {
        // Warm the daemon's control path (JIT of REGISTER, region creation) so the window measures steady state.
        var host = NetmapHost.Daemon(daemon.SocketPath);
        using (var m = NetmapPort.Open("netmap:warm{1", host))
        using (var s = NetmapPort.Open("netmap:warm}1", host)) { }

        var daemonBefore = ProcStat.CpuTime(daemon.ProcessId);
        var clock = Stopwatch.StartNew();
        using var receiver = PeerProcess.Start(log, "recv", daemon.SocketPath, ["recv", "netmap:dp{1", $"{Packets}", "5", "64"]);
        receiver.WaitForLine(PeerProtocol.Ready, Limit);
        using var sender = PeerProcess.Start(log, "send", daemon.SocketPath, ["send", "netmap:dp}1", $"{Packets}", "5", "64"]);
        sender.ExpectSuccess(Limit);
        receiver.ExpectSuccess(Limit);
        var elapsed = clock.Elapsed;
        var daemonAfter = ProcStat.CpuTime(daemon.ProcessId);

        Assert.Equal(PipeExchangeScenarioTests.Count(sender.WaitForLine(PeerProtocol.Sent, Limit)),
                     PipeExchangeScenarioTests.Count(receiver.WaitForLine(PeerProtocol.Received, Limit)));
        Assert.Equal(Packets, PipeExchangeScenarioTests.Count(receiver.WaitForLine(PeerProtocol.Received, Limit)).Count);
        var children = TimeSpan.FromMilliseconds(Cpu(sender) + Cpu(receiver));
        var daemonCpu = daemonAfter - daemonBefore;
        log.WriteLine($"{Packets} packets in {elapsed.TotalSeconds:F2} s ({Packets / elapsed.TotalSeconds / 1e6:F2} Mpps wall, children's lives included); " +
                      $"children CPU {children.TotalMilliseconds:F0} ms, netmapd CPU {daemonCpu.TotalMilliseconds:F0} ms " +
                      $"({100 * daemonCpu / children:F2}% of the children's)");
        Assert.True(daemonCpu < children * 0.05 || daemonCpu < TimeSpan.FromMilliseconds(100),
            $"netmapd used {daemonCpu.TotalMilliseconds:F0} ms of CPU while the children used {children.TotalMilliseconds:F0} ms");
        Assert.False(daemon.HasExited);
    }

    [Fact]
    public void Transfer_CompletesEvenIfNetmapdIsKilledMidStream()
    {
        // A daemon of its own: this one gets killed.
        using var own = DaemonFixture.Start();
        const int n = 300_000;
        using var receiver = PeerProcess.Start(log, "recv", own.SocketPath, ["recv", "netmap:dk{1", $"{n}", "9", "1500"]);
        receiver.WaitForLine(PeerProtocol.Ready, Limit);
        using var sender = PeerProcess.Start(log, "send", own.SocketPath, ["send", "netmap:dk}1", $"{n}", "9", "1500"]);
        sender.WaitForLine(PeerProtocol.Ready, Limit);
        own.Signal(9); // SIGKILL netmapd while the children are (about to be) streaming
        Assert.True(own.WaitForExit(5000));
        sender.ExpectSuccess(Limit);
        receiver.ExpectSuccess(Limit);
        Assert.Equal(PipeExchangeScenarioTests.Count(sender.WaitForLine(PeerProtocol.Sent, Limit)),
                     PipeExchangeScenarioTests.Count(receiver.WaitForLine(PeerProtocol.Received, Limit)));
    }

    private static double Cpu(PeerProcess p) => double.Parse(p.WaitForLine(PeerProtocol.Cpu, Limit).Split(' ')[1]);
}
