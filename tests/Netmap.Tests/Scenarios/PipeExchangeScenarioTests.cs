using System.Diagnostics;
using Netmap.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Netmap.Tests.Scenarios;

// Test objective: two separate processes, each with its own mapping of the pipe's region obtained from netmapd,
// move 20,000 random-length packets of up to 10 KB (up to 5 slots each, chained with NS_MOREFRAG) through one
// pipe in both directions, and every packet arrives complete, in order and byte-exact. Proves that the pipe's
// sync state in the shared region works across address spaces, fragments are published only as whole packets,
// and the blocking Poll/eventfd wakeups between processes neither lose a wakeup nor deadlock.
[Collection(ScenarioCollection.Name)]
public sealed class PipeExchangeScenarioTests(DaemonFixture daemon, ITestOutputHelper log) : IClassFixture<DaemonFixture>
{
    private const int Packets = 20_000;
    private const int MaxLen = 10 * 1024;
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(25);

    [Fact]
    public void TwoProcesses_ExchangeRandomPackets_BothDirectionsAtOnce_ByteExact()
    {
        var clock = Stopwatch.StartNew();
        // Each child sends with its own seed and checks what it receives against the other's seed.
        using var master = PeerProcess.Start(log, "master", daemon.SocketPath, ["exchange", "netmap:xch{1", $"{Packets}", "101", "202", $"{MaxLen}"]);
        master.WaitForLine(PeerProtocol.Ready, Limit);
        using var slave = PeerProcess.Start(log, "slave", daemon.SocketPath, ["exchange", "netmap:xch}1", $"{Packets}", "202", "101", $"{MaxLen}"]);
        master.ExpectSuccess(Limit);
        slave.ExpectSuccess(Limit);

        var (mSent, mSentHash) = Count(master.WaitForLine(PeerProtocol.Sent, Limit));
        var (mRecv, mRecvHash) = Count(master.WaitForLine(PeerProtocol.Received, Limit));
        var (sSent, sSentHash) = Count(slave.WaitForLine(PeerProtocol.Sent, Limit));
        var (sRecv, sRecvHash) = Count(slave.WaitForLine(PeerProtocol.Received, Limit));
        Assert.Equal(Packets, mSent);
        Assert.Equal(Packets, sRecv);
        Assert.Equal(mSentHash, sRecvHash); // master -> slave
        Assert.Equal(Packets, sSent);
        Assert.Equal(Packets, mRecv);
        Assert.Equal(sSentHash, mRecvHash); // slave -> master
        // Random lengths up to 10 KB over 2 KB buffers: most packets took several slots.
        Assert.True(Fragments(master.WaitForLine(PeerProtocol.Received, Limit)) > 2 * Packets);
        Assert.False(daemon.HasExited);
        log.WriteLine($"exchange of 2 x {Packets} packets took {clock.Elapsed.TotalSeconds:F2} s");
    }

    [Theory]
    [InlineData("netmap:one{1", "netmap:one}1")] // master -> slave
    [InlineData("netmap:two}1", "netmap:two{1")] // slave -> master
    public void SenderProcess_ToReceiverProcess_OneDirection_ByteExact(string senderPort, string receiverPort)
    {
        var clock = Stopwatch.StartNew();
        using var receiver = PeerProcess.Start(log, "recv", daemon.SocketPath, ["recv", receiverPort, $"{Packets}", "7", $"{MaxLen}"]);
        receiver.WaitForLine(PeerProtocol.Ready, Limit);
        using var sender = PeerProcess.Start(log, "send", daemon.SocketPath, ["send", senderPort, $"{Packets}", "7", $"{MaxLen}"]);
        sender.ExpectSuccess(Limit);
        receiver.ExpectSuccess(Limit);
        var (sent, sentHash) = Count(sender.WaitForLine(PeerProtocol.Sent, Limit));
        var (got, gotHash) = Count(receiver.WaitForLine(PeerProtocol.Received, Limit));
        Assert.Equal(Packets, sent);
        Assert.Equal(Packets, got);
        Assert.Equal(sentHash, gotHash);
        log.WriteLine($"{senderPort} -> {receiverPort}: {Packets} packets in {clock.Elapsed.TotalSeconds:F2} s");
    }

    /// <summary>"SENT n hash" / "RECEIVED n hash ..." -> (n, hash).</summary>
    internal static (long Count, string Hash) Count(string line)
    {
        var f = line.Split(' ');
        return (long.Parse(f[1]), f[2]);
    }

    private static long Fragments(string receivedLine)
    {
        var f = receivedLine.Split(' ');
        int i = Array.IndexOf(f, "fragments");
        return long.Parse(f[i + 1]);
    }
}
