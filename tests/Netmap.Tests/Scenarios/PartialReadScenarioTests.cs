using Netmap.Api;
using Netmap.Hosting;
using Netmap.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Netmap.Tests.Scenarios;

// Test objective: flow control across processes is exact. This process sends 10 packets on the slave end; a
// child reads exactly 7 of them on the master end and releases them with rxsync; after its next txsync the sender
// sees exactly 3 slots still busy (TX space == num_slots - 1 - 3: a pipe direction holds num_slots - 1 unconsumed
// slots, spec section 6). The 3 unread packets stay queued in the pipe: a new reader attaching to the master end
// after the child is killed finds exactly packets 7, 8 and 9.
[Collection(ScenarioCollection.Name)]
public sealed class PartialReadScenarioTests(DaemonFixture daemon, ITestOutputHelper log) : IClassFixture<DaemonFixture>
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(20);

    [Fact]
    public void ReaderConsumesSevenOfTen_SenderSeesExactlyThreeBusySlots()
    {
        var host = NetmapHost.Daemon(daemon.SocketPath);
        using var sender = NetmapPort.Open("netmap:pr}1", host);
        var tx = sender.TxRings[0];
        uint n = tx.NumSlots;
        Assert.Equal(n - 1, tx.Space);

        var frame = new byte[64];
        for (int i = 0; i < 10; i++)
        {
            frame[0] = (byte)i;
            Assert.True(sender.Inject(frame));
        }
        Assert.True(sender.TxSync());
        Assert.Equal(n - 1 - 10, tx.Space);

        using (var reader = PeerProcess.Start(log, "partial", daemon.SocketPath, ["partial-recv", "netmap:pr{1", "7"]))
        {
            reader.WaitForLine(PeerProtocol.Ready, Limit);
            Assert.Equal("AVAILABLE 10", reader.WaitForLine("AVAILABLE", Limit));
            Assert.Equal("REMAINING 3", reader.WaitForLine("REMAINING", Limit));

            Assert.True(sender.TxSync());
            log.WriteLine($"num_slots {n}, sender space {tx.Space} after the reader released 7 of 10");
            Assert.Equal(n - 1 - 3, tx.Space);
            Assert.True(tx.HasPendingTx);
            reader.Kill();
        }

        // The pipe lives on (this end is open): a new reader of the master end sees the 3 unread packets, in order.
        using var again = Scenario.OpenWithRetry("netmap:pr{1/x", host, TimeSpan.FromSeconds(5)); // the dead reader is gone
        again.RxSync();
        Assert.Equal(3u, again.RxRings[0].Space);
        for (int i = 7; i < 10; i++)
        {
            Assert.True(again.NextPacket(out var got, out _));
            Assert.Equal(64, got.Length);
            Assert.Equal((byte)i, got[0]);
        }
        Assert.False(again.NextPacket(out _, out _));
        again.RxSync();
        Assert.True(sender.TxSync());
        Assert.Equal(n - 1, tx.Space); // everything consumed: all slots are the sender's again
        Assert.False(tx.HasPendingTx);
    }
}
