using System.Diagnostics;
using Netmap.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Netmap.Tests.Scenarios;

// Test objective: a client with no daemon running starts one. With NETMAP_SOCKET naming a fresh path and
// NETMAPD_PATH the built netmapd, a netmap-testpeer opening a port on the default host runs
// `netmapd --socket PATH --detach`; the daemon comes up in a session of its own (it is not tied to the client
// and outlives it), the open succeeds, and a second client uses the same daemon instead of starting another.
// With NETMAP_NO_AUTOSTART=1 the open fails with a message naming the socket and the variable, and no daemon
// appears, and a NETMAPD_PATH naming nothing fails the same way (a NetmapException, ENOENT). Four clients
// autostarting at once all succeed and end up with one daemon. The autostarted daemon is
// found by its command line (--socket PATH) and killed at the end.
[Collection(ScenarioCollection.Name)]
public sealed class AutostartScenarioTests(ITestOutputHelper log) : IDisposable
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(20);
    private readonly string _dir = Path.Combine("/tmp", $"nmtest-auto-{Guid.NewGuid():N}"[..24]);

    private string SocketPath => Path.Combine(_dir, "netmapd.sock");

    [Fact]
    public void OpeningWithoutADaemon_StartsADetachedNetmapd_ThatOutlivesTheClient()
    {
        var env = new Dictionary<string, string?> { ["NETMAP_SOCKET"] = SocketPath, ["NETMAPD_PATH"] = ScenarioPaths.Netmapd };
        Assert.Empty(ProcStat.DaemonsOn(SocketPath));
        var clock = Stopwatch.StartNew();
        int daemonPid;
        using (var first = PeerProcess.Start(log, "first", "-", ["hold", "netmap:auto{1"], env))
        {
            first.WaitForLine(PeerProtocol.Ready, Limit);
            log.WriteLine($"open with autostart took {clock.Elapsed.TotalMilliseconds:F0} ms");
            var daemons = ProcStat.DaemonsOn(SocketPath);
            Assert.Single(daemons);
            daemonPid = daemons[0];
            Assert.True(File.Exists(SocketPath));
            // Detached: its own session, not the client's.
            Assert.NotEqual(ProcStat.SessionId(first.Pid), ProcStat.SessionId(daemonPid));
            Assert.Equal(daemonPid, ProcStat.SessionId(daemonPid));
            first.Kill();
        }
        // The daemon outlives the client that started it, and serves the next one (no second daemon).
        Assert.True(Directory.Exists($"/proc/{daemonPid}"));
        using (var second = PeerProcess.Start(log, "second", "-", ["hold", "netmap:auto}1"], env))
        {
            second.WaitForLine(PeerProtocol.Ready, Limit);
            Assert.Equal([daemonPid], ProcStat.DaemonsOn(SocketPath));
        }
        log.WriteLine($"autostarted netmapd pid {daemonPid} on {SocketPath}");
    }

    [Fact]
    public void ClientsStartingAtTheSameTime_AllSucceed_WithOneDaemon()
    {
        var env = new Dictionary<string, string?> { ["NETMAP_SOCKET"] = SocketPath, ["NETMAPD_PATH"] = ScenarioPaths.Netmapd };
        var peers = new List<PeerProcess>();
        try
        {
            for (int i = 0; i < 4; i++) peers.Add(PeerProcess.Start(log, $"client{i}", "-", ["hold", $"netmap:race{{{i}"], env));
            foreach (var p in peers) p.WaitForLine(PeerProtocol.Ready, Limit);
            // Exactly one daemon remains: the losers of the start race (launchers, and daemons that found the socket
            // taken) exit by themselves, and none stays running unreachable or takes the socket from the winner.
            var clock = Stopwatch.StartNew();
            var daemons = ProcStat.DaemonsOn(SocketPath);
            while (daemons.Count > 1 && clock.Elapsed < TimeSpan.FromSeconds(15))
            {
                Thread.Sleep(50);
                daemons = ProcStat.DaemonsOn(SocketPath);
            }
            log.WriteLine($"one daemon left {clock.Elapsed.TotalMilliseconds:F0} ms after all 4 clients were READY");
            Assert.Single(daemons);
            using var late = PeerProcess.Start(log, "late", "-", ["hold", "netmap:race}0"], env);
            late.WaitForLine(PeerProtocol.Ready, Limit);
            Assert.Equal(daemons, ProcStat.DaemonsOn(SocketPath));
        }
        finally
        {
            foreach (var p in peers) p.Dispose();
        }
    }

    [Fact]
    public void NoAutostart_FailsWithAClearMessage_AndStartsNothing()
    {
        var env = new Dictionary<string, string?>
        {
            ["NETMAP_SOCKET"] = SocketPath, ["NETMAPD_PATH"] = ScenarioPaths.Netmapd, ["NETMAP_NO_AUTOSTART"] = "1",
        };
        using var peer = PeerProcess.Start(log, "noauto", "-", ["open-expect-error", "netmap:auto{1", "ENOENT"], env);
        peer.ExpectSuccess(Limit);
        string line = peer.WaitForLine(PeerProtocol.Error, Limit);
        log.WriteLine(line);
        Assert.Contains(SocketPath, line);
        Assert.Contains("NETMAP_NO_AUTOSTART", line);
        Assert.Empty(ProcStat.DaemonsOn(SocketPath));
        Assert.False(File.Exists(SocketPath));
    }

    [Fact]
    public void MissingDaemonExecutable_FailsWithANetmapException_NamingIt()
    {
        // NETMAPD_PATH names nothing: the open must fail like any other open (a NetmapException with an errno and a
        // message naming what is missing), not with the Win32Exception of Process.Start.
        var env = new Dictionary<string, string?> { ["NETMAP_SOCKET"] = SocketPath, ["NETMAPD_PATH"] = "/nonexistent/netmapd" };
        using var peer = PeerProcess.Start(log, "nodaemon", "-", ["open-expect-error", "netmap:auto{1", "ENOENT"], env);
        int code = peer.WaitForExit(Limit);
        Assert.True(code == 0, $"expected a NetmapException with ENOENT:\n{peer.Output}");
        string line = peer.WaitForLine(PeerProtocol.Error, Limit);
        Assert.Contains("/nonexistent/netmapd", line);
        Assert.Empty(ProcStat.DaemonsOn(SocketPath));
    }

    public void Dispose()
    {
        // Whatever happened: no daemon of ours may survive the test, and the socket directory goes.
        foreach (int pid in ProcStat.DaemonsOn(SocketPath))
        {
            bool gone = ProcStat.Terminate(pid);
            log.WriteLine($"stopped netmapd pid {pid} on {SocketPath}: {(gone ? "gone" : "STILL RUNNING")}");
        }
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
