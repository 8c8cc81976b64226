using System.Diagnostics;
using Netmap.Api;
using Netmap.Hosting;
using Netmap.Tests.Infrastructure;
using Xunit.Abstractions;
using static Netmap.Tests.Scenarios.ValeScenario;

namespace Netmap.Tests.Scenarios;

// Test objective: ports come and go on a switch while netmapd's worker is busy forwarding on that same switch. Two
// processes stream into a third; meanwhile this process opens and closes 60 new ports of the switch, one after
// the other (each open of a fresh port resets its rings under the switch's exclusive lock; each close removes it
// from the worker and the switch). Every open and close must complete (netmapd keeps answering), the streams keep
// flowing intact and in order, and afterwards the switch lists exactly the three streaming ports.
[Collection(ScenarioCollection.Name)]
public sealed class ValeChurnScenarioTests(DaemonFixture daemon, ITestOutputHelper log) : IClassFixture<DaemonFixture>
{
    [Fact]
    public void OpeningAndClosingPorts_WhileTheWorkerForwardsOnTheSameSwitch_NetmapdKeepsAnswering()
    {
        var host = NetmapHost.Daemon(daemon.SocketPath);
        var peers = StartPeers(log, daemon, "R", "S1", "S2");
        using var r = peers[0];
        using var s1 = peers[1];
        using var s2 = peers[2];
        r.Open("r", "vale8:r");
        s1.Open("s", "vale8:s1");
        s2.Open("s", "vale8:s2");
        string rm = Mac(0x80);
        r.Call($"send r 1 {Broadcast} {rm} 80 60 60");
        r.Call("drain r");
        s1.Call($"stream s {rm} {Mac(0x81)} 81 60 200");
        s2.Call($"stream s {rm} {Mac(0x82)} 82 60 200");
        WaitForStats(host, "vale8:r", st => st.RxPackets >= 2000, "2000 frames received");

        // Each cycle takes milliseconds; one that makes no progress for 5 s means netmapd stopped answering.
        const int Cycles = 60;
        int done = 0;
        var clock = Stopwatch.StartNew();
        var churn = Task.Factory.StartNew(() =>
        {
            for (int i = 0; i < Cycles; i++)
            {
                using var p = NetmapPort.Open($"vale8:o{i}", host);
                Volatile.Write(ref done, i + 1);
            }
        }, TaskCreationOptions.LongRunning);
        int seen = -1;
        var stall = Stopwatch.StartNew();
        while (!churn.Wait(20))
        {
            int d = Volatile.Read(ref done);
            if (d != seen) { seen = d; stall.Restart(); }
            else if (stall.Elapsed > TimeSpan.FromSeconds(5)) break;
        }
        log.WriteLine($"{Volatile.Read(ref done)} of {Cycles} open/close cycles in {clock.Elapsed.TotalMilliseconds:F0} ms");
        Assert.True(churn.IsCompleted, $"netmapd stopped answering after {Volatile.Read(ref done)} of {Cycles} opens of a new port on a switch " +
            "that its worker is forwarding on (a deadlock: the open holds the switch's write lock while waiting for the " +
            "worker's pass to end, and the pass waits for the switch's read lock)");
        churn.GetAwaiter().GetResult(); // an open that failed fails the test

        var before = NetmapControl.ValePortStats("vale8:r", host).RxPackets;
        WaitForStats(host, "vale8:r", st => st.RxPackets >= before + 1000, "1000 more frames received");
        log.WriteLine($"s1: {s1.Call("stop s")}; s2: {s2.Call("stop s")}");
        var drained = r.Call("stop r");
        log.WriteLine($"r: {drained}");
        var tags = ValeShellPeer.Tags(drained);
        Assert.True(tags.GetValueOrDefault(81u) > 0 && tags.GetValueOrDefault(82u) > 0, drained);
        Assert.Equal(new[] { "vale8:r", "vale8:s1", "vale8:s2" }, Listed(host, "vale8"));
        Assert.False(daemon.HasExited);
    }
}
