using System.Diagnostics;
using Netmap.Abi;
using Netmap.Api;
using Netmap.Hosting;
using Netmap.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Netmap.Tests.Scenarios;

// Test objective: a pipe end killed with SIGKILL in the middle of a stream harms nobody else. The surviving end
// (this process) keeps a usable port (RxSync is fine, queued packets still arrive intact and in order), netmapd
// releases the dead client's registration (an exclusive open of that end succeeds), a new process reopening the
// end resumes the stream on the same pipe, the daemon keeps serving, and repeated kill/reopen cycles and 200
// open/close cycles leak no buffers, interfaces or pipes (the free-buffer count of the parent's region, measured
// by asking for more extra buffers than exist, is back to its starting value).
[Collection(ScenarioCollection.Name)]
public sealed class KillMidStreamScenarioTests(DaemonFixture daemon, ITestOutputHelper log) : IClassFixture<DaemonFixture>
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(20);

    [Fact]
    public void SigkillOfTheSender_MidStream_ReaderSurvives_AndANewSenderResumes()
    {
        var host = NetmapHost.Daemon(daemon.SocketPath);
        using var reader = NetmapPort.Open("netmap:k}1", host);
        uint freeAtStart = Scenario.FreeBuffers(host, "k");
        var check = new StreamChecker();

        using (var first = PeerProcess.Start(log, "stream1", daemon.SocketPath, ["stream", "netmap:k{1", "1"]))
        {
            first.WaitForLine(PeerProtocol.Ready, Limit);
            Assert.True(PortReader.Read(reader, p => { check.Add(p); return check.Count(1) < 5000; }, Limit), "stream 1 did not deliver 5000 packets");
            first.Kill(); // SIGKILL, mid-stream: the child is blocked in Poll or busy injecting
        }
        // The surviving end still works and the packets queued before the kill are intact.
        Assert.True(reader.RxSync());
        Assert.True(PortReader.Read(reader, p => { check.Add(p); return true; }, Limit, quiet: TimeSpan.FromMilliseconds(300)));
        long fromFirst = check.Count(1);
        log.WriteLine($"stream 1: {fromFirst} packets, {fromFirst - 5000} of them drained after the SIGKILL");
        Assert.True(fromFirst >= 5000);

        // netmapd released the dead client's registration: the end can be held exclusively.
        var released = Stopwatch.StartNew();
        using (Scenario.OpenWithRetry("netmap:k{1/x", host, TimeSpan.FromSeconds(5)))
            log.WriteLine($"exclusive open of k{{1 succeeded {released.Elapsed.TotalMilliseconds:F0} ms after the kill");

        using (var second = PeerProcess.Start(log, "stream2", daemon.SocketPath, ["stream", "netmap:k{1", "2"]))
        {
            second.WaitForLine(PeerProtocol.Ready, Limit);
            // Any packets the first sender had injected but not yet synced go out first, then stream 2 from seq 0.
            Assert.True(PortReader.Read(reader, p => { check.Add(p); return check.Count(2) < 5000; }, Limit), "stream 2 did not deliver 5000 packets");
            second.Kill();
        }
        Assert.Equal([1u, 2u], check.Order);
        Assert.True(check.Count(1) >= fromFirst);
        Assert.True(reader.RxSync());

        // Still serving, and nothing leaked: every buffer of the region is back (the reader still holds the pipe).
        Assert.False(daemon.HasExited);
        Assert.Equal(1, NetmapPort.PortInfo("netmap:k{1", host).TxRings);
        Scenario.AssertFreeBuffers(host, "k", freeAtStart, log);
    }

    [Fact]
    public void SigkillOfTheReceiver_MidStream_SenderSurvives_AndANewReceiverGetsTheRest()
    {
        var host = NetmapHost.Daemon(daemon.SocketPath);
        using var sender = NetmapPort.Open("netmap:rk{1", host);
        var tx = sender.TxRings[0];
        ulong seq;
        using (var first = PeerProcess.Start(log, "sink1", daemon.SocketPath, ["sink", "netmap:rk}1", "1000000000"]))
        {
            first.WaitForLine(PeerProtocol.Ready, Limit);
            seq = PortWriter.SendStream(sender, 7, 0, 3000, stall: Limit);
            Assert.Equal(3000ul, seq);
            first.WaitForLine("PROGRESS", Limit);
            // Keep the receiver busy, then kill it in the middle.
            seq = PortWriter.SendStream(sender, 7, seq, seq + 300, stall: Limit);
            first.Kill();
        }
        // The sender is unharmed: it fills the ring, and then Poll reports the hang-up at once (the receiver's process
        // died) instead of failing, hanging or timing out.
        ulong before = seq;
        seq = PortWriter.SendStream(sender, 7, seq, seq + 5000, stall: TimeSpan.FromMilliseconds(300));
        log.WriteLine($"after the receiver's death the sender queued {seq - before} more packets; tx space {tx.Space} of {tx.NumSlots - 1}");
        Assert.True(seq - before < tx.NumSlots, "the sender queued more packets than the ring holds");
        Assert.True(tx.Space < 2, $"the ring should be full, space {tx.Space}");
        var t = Stopwatch.StartNew();
        Assert.Equal(PollEvents.HangUp, sender.Poll(PollEvents.Out, 5000));
        Assert.True(t.ElapsedMilliseconds < 1000, $"the hang-up took {t.ElapsedMilliseconds} ms");
        Assert.Equal(PeerState.Died, sender.Peer);
        log.WriteLine(sender.PeerFailure);

        // A new receiver attaches to the same pipe and gets the rest of the stream, contiguous from where the dead one
        // stopped reading; the sender resumes as the ring drains.
        ulong end = seq + 3000;
        using var second = PeerProcess.Start(log, "sink2", daemon.SocketPath, ["sink", "netmap:rk}1", $"{end}"]);
        second.WaitForLine(PeerProtocol.Ready, Limit);
        Assert.Equal(PeerState.Attached, sender.Peer);
        seq = PortWriter.SendStream(sender, 7, seq, end, stall: Limit);
        Assert.Equal(end, seq);
        second.ExpectSuccess(Limit);
        var f = second.WaitForLine(PeerProtocol.Received, Limit).Split(' ');
        ulong firstSeen = ulong.Parse(f[2]), last = ulong.Parse(f[3]);
        log.WriteLine($"the new receiver got seq {firstSeen}..{last} ({f[1]} packets)");
        Assert.Equal(end - 1, last);
        Assert.InRange(firstSeen, 1000ul, before); // the dead one had read at least 1000
        Assert.Equal((long)(last - firstSeen + 1), long.Parse(f[1]));
        Assert.False(daemon.HasExited);
    }

    [Fact]
    public void RepeatedKillAndReopen_And200OpenCloseCycles_LeakNothing()
    {
        var host = NetmapHost.Daemon(daemon.SocketPath);
        var clock = Stopwatch.StartNew();
        // The anchor keeps the parent "kk" (and its private region) alive between cycles, so leaks would add up.
        using var anchor = NetmapPort.Open("netmap:kk{0", host);
        uint freeAtStart = Scenario.FreeBuffers(host, "kk");
        log.WriteLine($"free buffers of kk's region at start: {freeAtStart}");

        for (int cycle = 0; cycle < 20; cycle++)
        {
            // A pipe of its own per cycle: a pipe kept alive by a leaked registration would pile up in the parent's
            // region (its ring pool holds 5 pipes) and fail a later cycle with ENOMEM, and its buffers would be missing below.
            using var reader = NetmapPort.Open($"netmap:kk}}s{cycle}", host);
            using var child = PeerProcess.Start(log, $"stream{cycle}", daemon.SocketPath, ["stream", $"netmap:kk{{s{cycle}", $"{cycle + 10}"]);
            var check = new StreamChecker();
            Assert.True(PortReader.Read(reader, p => { check.Add(p); return check.Total < 200; }, Limit));
            child.Kill();
            Assert.True(reader.RxSync());
            // netmapd released the dead child's registration: its end can be held exclusively.
            Scenario.OpenWithRetry($"netmap:kk{{s{cycle}/x", host, TimeSpan.FromSeconds(5)).Dispose();
        }
        Scenario.AssertFreeBuffers(host, "kk", freeAtStart, log);
        log.WriteLine($"20 kill cycles: {clock.Elapsed.TotalSeconds:F2} s");

        // 200 open/close cycles of pipe ends, one packet through each: a pipe, interface or buffer leaked per cycle
        // would exhaust the parent region's ring pool (20 rings: 5 pipes), its 10-entry interface pool or its
        // buffer pool (ENOMEM) within a few cycles.
        var frame = new byte[60];
        for (int i = 0; i < 200; i++)
        {
            frame[0] = (byte)i;
            using var m = NetmapPort.Open($"netmap:kk{{c{i}", host);
            using var s = NetmapPort.Open($"netmap:kk}}c{i}", host);
            Assert.True(m.Inject(frame));
            m.TxSync();
            s.RxSync();
            Assert.True(s.NextPacket(out var got, out _));
            Assert.Equal((byte)i, got[0]);
        }
        Scenario.AssertFreeBuffers(host, "kk", freeAtStart, log);
        Assert.False(daemon.HasExited);
        log.WriteLine($"total {clock.Elapsed.TotalSeconds:F2} s");
    }
}
