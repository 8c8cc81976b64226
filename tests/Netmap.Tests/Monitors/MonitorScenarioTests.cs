using System.Diagnostics;
using Netmap.Abi;
using Netmap.Api;
using Netmap.Hosting;
using Netmap.Tests.Infrastructure;
using Netmap.Tests.Scenarios;
using Xunit.Abstractions;
using static Netmap.Tests.Monitors.MonitorKit;

namespace Netmap.Tests.Monitors;

// Test objective: monitors across processes through the real netmapd. A sender process and a receiver process
// move pattern packets through a pipe; this process monitors it: a /r copy monitor of the receiving end (the
// copies are written by the sender process's txsync into the pipe region, which this process maps too; this process
// is woken through netmapd's relay) and a /z monitor of the sending end (buffers swapped in the sender process
// when it reclaims slots). Two holder processes keep both ends in netmap mode before and after the transfer (so the
// monitors can open first and are not orphaned when the transfer ends). Every monitored frame is intact, the copy
// monitor accounts for every packet (seen or counted as dropped), and the swaps corrupt nothing the receiver gets.
[Collection(ScenarioCollection.Name)]
public sealed class MonitorScenarioTests(DaemonFixture daemon, ITestOutputHelper log) : IClassFixture<DaemonFixture>
{
    private const int Packets = 5000;
    private const int Length = 200;
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(20);

    [Fact]
    public void MonitorsInAThirdProcess_SeeThePipeTrafficOfTwoOthers()
    {
        var host = NetmapHost.Daemon(daemon.SocketPath);
        using var holdRx = PeerProcess.Start(log, "hold-rx", daemon.SocketPath, ["hold", "netmap:xmon}1"]);
        using var holdTx = PeerProcess.Start(log, "hold-tx", daemon.SocketPath, ["hold", "netmap:xmon{1"]);
        holdRx.WaitForLine(PeerProtocol.Ready, Limit);
        holdTx.WaitForLine(PeerProtocol.Ready, Limit);
        using var copy = NetmapPort.Open("netmap:xmon}1/r", host);
        using var zero = NetmapPort.Open("netmap:xmon{1/z", host);
        using var receiver = PeerProcess.Start(log, "recv", daemon.SocketPath, ["recv-pattern", "netmap:xmon}1", $"{Packets}", $"{Length}"]);
        using var sender = PeerProcess.Start(log, "send", daemon.SocketPath, ["send-pattern", "netmap:xmon{1", $"{Packets}", $"{Length}"]);

        long seen = 0, zeroSeen = 0;
        var clock = Stopwatch.StartNew();
        while (seen + (long)Drops(copy) < Packets && clock.Elapsed < Limit)
        {
            Assert.NotEqual(PollEvents.Error, copy.Poll(PollEvents.In, 1000) & PollEvents.Error);
            foreach (var f in Take(copy))
            {
                AssertPattern(f.Data);
                Assert.Equal(SlotFlags.None, f.Flags & SlotFlags.TxMonitor);
                seen++;
            }
            foreach (var f in Drain(zero))
            {
                AssertPattern(f.Data);
                Assert.True((f.Flags & SlotFlags.TxMonitor) != 0);
                zeroSeen++;
            }
        }
        sender.ExpectSuccess(Limit);
        receiver.ExpectSuccess(Limit);
        var (sent, sentHash) = PipeExchangeScenarioTests.Count(sender.WaitForLine(PeerProtocol.Sent, Limit));
        var (got, gotHash) = PipeExchangeScenarioTests.Count(receiver.WaitForLine(PeerProtocol.Received, Limit));
        log.WriteLine($"copy monitor: {seen} seen, {Drops(copy)} dropped; zero-copy monitor: {zeroSeen} seen; {clock.ElapsedMilliseconds} ms");
        Assert.Equal(Packets, sent);
        Assert.Equal(Packets, got);
        Assert.Equal(sentHash, gotHash);                         // the swaps corrupted nothing
        Assert.Equal((ulong)Packets, (ulong)seen + Drops(copy)); // every packet seen or counted
        Assert.True(seen > 0);
        Assert.True(zeroSeen > 0, "the zero-copy monitor saw nothing");
        Assert.True(copy.RxSync() && zero.RxSync(), "the holders keep both ends in netmap mode");
        Assert.False(daemon.HasExited);
    }

    /// <summary>Pattern packets are self-describing: byte 0 gives the packet number mod 256, which fixes every byte.</summary>
    private static void AssertPattern(byte[] f)
    {
        Assert.Equal(Length, f.Length);
        int i = (f[0] - 0x5A) * 223 & 0xFF; // 223 = 31^-1 mod 256
        for (int j = 0; j < f.Length; j++)
            if (f[j] != PeerProtocol.Pattern(i, j)) Assert.Fail($"byte {j} of packet ~{i} is {f[j]}, expected {PeerProtocol.Pattern(i, j)}");
    }
}
