using System.Diagnostics;
using System.Globalization;
using Netmap.Hosting;
using Netmap.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Netmap.Tests.Scenarios;

// Test objective: through netmapd, a pipe end learns what happens to the process at its other end. A receiver killed
// with SIGKILL is reported at once to the sender (a sleeping Poll and a pending WaitAsync both end with HangUp, Peer is
// Died, PeerFailure names the dead process); a new receiver on the same pipe clears it (WaitForPeer wakes, PeerArrivals
// counts it), gets the frames that waited in the ring, and the stream resumes; a receiver that closes its port
// normally is reported as Closed. The same from a user's bash script with the built pkt-gen: the sender's timeout line
// says which process left the pipe, it sleeps meanwhile (no spin on the hang-up), and a new receiver gets the traffic.
[Collection(ScenarioCollection.Name)]
public sealed class PipePeerScenarioTests(DaemonFixture daemon, ITestOutputHelper log) : IClassFixture<DaemonFixture>
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(20);

    [Fact(Timeout = 60_000)]
    public async Task ReceiverKilled_IsReportedAtOnce_ANewReceiverClearsIt_AndAClosedOneIsClosed()
    {
        await Task.Yield();
        var host = NetmapHost.Daemon(daemon.SocketPath);
        using var sender = NetmapPort.Open("netmap:ps{1", host);
        using var sender2 = NetmapPort.Open("netmap:ps{2", host);
        Assert.Equal(PeerState.Waiting, sender.Peer);

        int pid;
        ulong seq;
        Task<PollEvents> sleeping, pending;
        using (var holder = PeerProcess.Start(log, "hold", daemon.SocketPath, ["hold", "netmap:ps}1"]))
        using (var holder2 = PeerProcess.Start(log, "hold2", daemon.SocketPath, ["hold", "netmap:ps}2"]))
        {
            holder.WaitForLine(PeerProtocol.Ready, Limit);
            holder2.WaitForLine(PeerProtocol.Ready, Limit);
            pid = holder.Pid;
            Assert.Equal(PeerState.Attached, sender.Peer);
            Assert.Equal(1u, sender.PeerArrivals);
            // Fill the rings (the holders never read): stream packets for the first, zeros for the second. Then sleep
            // in Poll(Out) and in WaitAsync(Out).
            seq = PortWriter.SendStream(sender, 5, 0, 100_000, stall: TimeSpan.FromMilliseconds(300));
            while (sender2.Inject(new byte[60])) { }
            Assert.True(sender2.TxSync());
            foreach (var p in new[] { sender, sender2 })
                foreach (var r in p.TxRings) r.Cur = r.Tail;
            sleeping = Task.Run(() => sender.Poll(PollEvents.Out, 15_000));
            pending = sender2.WaitAsync(PollEvents.Out).AsTask();
            await Task.Delay(200);
            Assert.False(sleeping.IsCompleted);
            Assert.False(pending.IsCompleted);
            holder.Kill();
            holder2.Kill();
        }
        var clock = Stopwatch.StartNew();
        Assert.Equal(PollEvents.HangUp, await sleeping.WaitAsync(Limit));
        Assert.Equal(PollEvents.HangUp, await pending.WaitAsync(Limit));
        log.WriteLine($"hang-ups seen {clock.ElapsedMilliseconds} ms after the kills; {seq} packets wait in the ring");
        Assert.True(clock.ElapsedMilliseconds < 3000, $"{clock.ElapsedMilliseconds} ms");
        Assert.Equal(PeerState.Died, sender.Peer);
        Assert.Equal($"netmap:ps}}1 was left open by process {pid}, which ended", sender.PeerFailure);
        Assert.Equal(PollEvents.HangUp, sender.Poll(PollEvents.Out, 5000)); // level: reported until a peer comes

        // A new receiver: the sender's WaitForPeer wakes, the packets that waited in the ring come first (from seq 0),
        // then the stream goes on; the receiver then ends normally (its port disposed): Closed, not Died.
        var waiting = Task.Run(() => sender.WaitForPeer(15_000));
        await Task.Delay(100);
        Assert.False(waiting.IsCompleted);
        ulong end = seq + 3000;
        using (var sink = PeerProcess.Start(log, "sink", daemon.SocketPath, ["sink", "netmap:ps}1", $"{end}"]))
        {
            Assert.True(await waiting.WaitAsync(Limit));
            Assert.Equal(PeerState.Attached, sender.Peer);
            Assert.Equal(2u, sender.PeerArrivals);
            Assert.Null(sender.PeerFailure);
            Assert.Equal(PollEvents.None, sender.Poll(PollEvents.None, 0));
            sink.WaitForLine(PeerProtocol.Ready, Limit);
            seq = PortWriter.SendStream(sender, 5, seq, end, stall: Limit);
            Assert.Equal(end, seq);
            sink.ExpectSuccess(Limit);
            Assert.Equal("FIRST 0", sink.WaitForLine("FIRST", Limit));
        }
        clock.Restart();
        while (sender.Peer != PeerState.Closed && clock.Elapsed < Limit) sender.Poll(PollEvents.Out, 100);
        Assert.Equal(PeerState.Closed, sender.Peer);
        Assert.Equal("netmap:ps}1 was closed", sender.PeerFailure);
        Assert.Equal(PollEvents.HangUp, sender.Poll(PollEvents.None, 0));
        Assert.False(daemon.HasExited);
    }

    [Fact]
    public void PktGen_Sender_SaysWhichProcessLeftThePipe_SleepsMeanwhile_AndANewReceiverGetsTraffic()
    {
        var env = new Dictionary<string, string?>
        {
            ["PKTGEN"] = ScenarioPaths.PktGen,
            ["NETMAP_SOCKET"] = daemon.SocketPath,
            ["NETMAP_NO_AUTOSTART"] = "1",
        };
        using var run = BashScript.Run("""
            set -u
            waitfor() { for _ in $(seq 300); do grep -q -- "$2" "$1" 2>/dev/null && return 0; sleep 0.05; done; echo "TIMEOUT waiting for '$2' in $1"; return 1; }
            cpu() { awk '{ print $14 + $15 }' /proc/$1/stat; }
            "$PKTGEN" -i netmap:pg{1 -f tx -w 0 >tx.out 2>tx.err & tx=$!; echo "tx_pid=$tx"
            "$PKTGEN" -i netmap:pg}1 -f rx -w 0 >rx1.out 2>rx1.err & rx=$!; echo "rx1_pid=$rx"
            waitfor rx1.err "pps (" || exit 1
            kill -KILL $rx; wait $rx 2>/dev/null
            waitfor tx.err "left open by process $rx, which ended" || { cat tx.err; exit 1; }
            c0=$(cpu $tx); sleep 1; c1=$(cpu $tx); echo "tx_idle_ticks=$((c1 - c0))"
            "$PKTGEN" -i netmap:pg}1 -f rx -w 0 -n 200000 >rx2.out 2>rx2.err & rx2=$!
            wait $rx2; echo "rx2_status=$?"
            kill -INT $tx; wait $tx; echo "tx_status=$?"
            grep -h "left open" tx.err | head -1
            grep -h "^Received" rx2.out
            """, env, TimeSpan.FromSeconds(60));
        log.WriteLine(run.ToString());
        Assert.Equal("0", run.Value("rx2_status"));
        Assert.Equal("0", run.Value("tx_status"));
        Assert.Matches(@"sender_body \[\d+\] poll error on queue 0: timeout \(netmap:pg\}1 was left open by process \d+, which ended\)", run.Output);
        Assert.Matches(@"Received 200000 packets", run.Output);
        // Asleep while nobody is at the other end: at most a few clock ticks (10 ms each) of CPU in a second.
        int ticks = int.Parse(run.Value("tx_idle_ticks")!, CultureInfo.InvariantCulture);
        Assert.True(ticks < 20, $"the sender used {ticks * 10} ms of CPU in 1 s with no receiver");
    }
}
