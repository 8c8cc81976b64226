using System.Diagnostics;
using Netmap.Api;
using Netmap.Hosting;
using Netmap.Hosting.Daemon;
using Netmap.Interop;
using Netmap.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Netmap.Tests.Scenarios;

// Test objective: netmapd dying is noticed. SIGKILL netmapd while this process sleeps in Poll(In, forever) on a VALE
// port and on a pipe end: both Polls return Error within a bounded time, each port's Failure says "netmapd at PATH
// closed the connection", later Polls of the VALE port return Error at once (nothing would ever wake them), and the
// pipe (client to client, on memory that stays mapped) still carries data and wakes its Poll. The dead daemon's socket and netmapd.pid stay behind: the next open through that path
// autostarts a new daemon and DaemonLocator.Notice says the old one (pid, start time) is gone and what was lost;
// vale-ctl and pkt-gen print that line on stderr.
[Collection(ScenarioCollection.Name)]
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class DaemonDeathScenarioTests(ITestOutputHelper log) : IDisposable
{
    private const int SIGKILL = 9;
    private readonly List<string> _sockets = new();
    private readonly string _dir = Path.Combine("/tmp", $"nmtest-death-{Guid.NewGuid():N}"[..26]);

    public void Dispose()
    {
        foreach (var s in _sockets)
            foreach (int pid in ProcStat.DaemonsOn(s))
                log.WriteLine($"stopped netmapd pid {pid} on {s}: {(ProcStat.Terminate(pid) ? "gone" : "STILL RUNNING")}");
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    [Fact]
    public void SigkillOfNetmapd_WakesPollOnAValePortAndAPipe_WithError_AndTheNextOpenReportsTheDeath()
    {
        var daemon = DaemonFixture.Start();
        string path = daemon.SocketPath;
        _sockets.Add(path);
        var host = NetmapHost.Daemon(path);
        var notices = new List<string>();
        void OnNotice(string line) { lock (notices) notices.Add(line); }
        using var vale = NetmapPort.Open("vale4:dying", host);
        using var master = NetmapPort.Open("netmap:dying{1", host);
        using var slave = NetmapPort.Open("netmap:dying}1", host);
        Assert.Null(vale.Failure);
        int oldPid = daemon.ProcessId;
        try
        {
            var sleepers = new[] { vale, slave }.Select(p => Task.Factory.StartNew(() =>
            {
                var clock = Stopwatch.StartNew();
                var ev = p.Poll(PollEvents.In, -1);
                return (ev, clock.ElapsedMilliseconds);
            }, TaskCreationOptions.LongRunning)).ToArray();
            Thread.Sleep(300); // both asleep in poll(2) by now
            Assert.All(sleepers, t => Assert.False(t.IsCompleted));

            var killed = Stopwatch.StartNew();
            daemon.Signal(SIGKILL);
            Assert.True(Task.WaitAll(sleepers, TimeSpan.FromSeconds(5)), "Poll still sleeps 5 s after netmapd was killed");
            log.WriteLine($"Polls returned {killed.ElapsedMilliseconds} ms after SIGKILL: {string.Join(", ", sleepers.Select(t => t.Result.ev))}");
            foreach (var t in sleepers) Assert.True((t.Result.ev & PollEvents.Error) != 0, $"Poll returned {t.Result.ev}");
            Assert.Equal($"netmapd at {path} closed the connection", vale.Failure);
            Assert.Equal($"netmapd at {path} closed the connection", slave.Failure);
            Assert.Equal($"netmapd at {path} closed the connection", master.Failure);

            // No more sleeping on a dead daemon.
            var again = Stopwatch.StartNew();
            Assert.True((vale.Poll(PollEvents.In, 5000) & PollEvents.Error) != 0);
            Assert.True(again.ElapsedMilliseconds < 1000, $"a second Poll took {again.ElapsedMilliseconds} ms");

            // The pipe's rings stay mapped, its syncs run in the clients and its wakeups go from one to the other:
            // data still flows end to end, and Poll sleeps and wakes as before.
            var waiter = Task.Factory.StartNew(() => slave.Poll(PollEvents.In, 5000), TaskCreationOptions.LongRunning);
            Thread.Sleep(200);
            Assert.False(waiter.IsCompleted, $"a pipe's Poll did not sleep after the daemon's death: {(waiter.IsCompleted ? waiter.Result : 0)}");
            Assert.True(master.Inject([1, 2, 3, 4, 5]));
            Assert.True(master.TxSync());
            Assert.True(waiter.Wait(2000), "the pipe's Poll was not woken by its peer");
            Assert.Equal(PollEvents.In, waiter.Result);
            Assert.True(slave.NextPacket(out var frame, out _));
            Assert.Equal([1, 2, 3, 4, 5], frame.ToArray());

            // Socket and record are left behind; the next open starts a new daemon and says the old one is gone.
            Assert.True(File.Exists(path));
            Assert.True(File.Exists(DaemonRecord.PathFor(path)));
            Environment.SetEnvironmentVariable(DaemonLocator.DaemonPathVariable, DaemonFixture.FindExecutable());
            DaemonLocator.Notice += OnNotice;
            using (var fresh = NetmapPort.Open("netmap:fresh{1", host))
                Assert.Null(fresh.Failure);
            int newPid = Assert.Single(ProcStat.DaemonsOn(path).Where(p => p != oldPid));
            Assert.NotEqual(oldPid, newPid);
            string line;
            lock (notices) line = Assert.Single(notices, n => n.Contains(path, StringComparison.Ordinal));
            log.WriteLine(line);
            Assert.Matches($@"^netmapd \(pid {oldPid}, started \d\d:\d\d:\d\d\) is gone; started a new one on {System.Text.RegularExpressions.Regex.Escape(path)}: switches and persistent ports of the old one are lost$", line);
            Assert.Equal(newPid, DaemonRecord.Read(DaemonRecord.PathFor(path))!.Pid);
        }
        finally
        {
            DaemonLocator.Notice -= OnNotice;
            foreach (int pid in ProcStat.DaemonsOn(path).Where(p => p != oldPid)) ProcStat.Terminate(pid);
            daemon.Dispose();
        }
    }

    /// <summary>A socket nobody listens on and the record of a netmapd that no longer exists, as SIGKILL leaves them.</summary>
    private (string Socket, int DeadPid) Remains()
    {
        Directory.CreateDirectory(_dir);
        File.SetUnixFileMode(_dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        string socket = Path.Combine(_dir, "netmapd.sock");
        SeqPacketSocket.Listen(socket).Dispose();
        using var gone = Process.Start(new ProcessStartInfo("/bin/true") { UseShellExecute = false })!;
        gone.WaitForExit();
        new DaemonRecord(gone.Id, 12345, DateTimeOffset.Now.AddMinutes(-5)).Write(DaemonRecord.PathFor(socket));
        _sockets.Add(socket);
        return (socket, gone.Id);
    }

    [Theory]
    [InlineData("vale-ctl", new[] { "-n", "deadif0" })]
    [InlineData("pkt-gen", new[] { "-i", "vale0:dead", "-f", "tx", "-n", "1", "-w", "0" })]
    public void ATool_PrintsThatThePreviousDaemonIsGone(string tool, string[] args)
    {
        var (socket, deadPid) = Remains();
        var psi = new ProcessStartInfo(Path.Combine(AppContext.BaseDirectory, tool)) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment[DaemonLocator.SocketVariable] = socket;
        psi.Environment[DaemonLocator.DaemonPathVariable] = DaemonFixture.FindExecutable();
        psi.Environment.Remove(DaemonLocator.NoAutostartVariable);
        using var p = Process.Start(psi)!;
        var stderr = p.StandardError.ReadToEndAsync();
        var stdout = p.StandardOutput.ReadToEndAsync();
        Assert.True(p.WaitForExit(30_000), $"{tool} did not finish");
        log.WriteLine($"{tool} exit {p.ExitCode}\nstdout: {stdout.Result}\nstderr: {stderr.Result}");
        Assert.Equal(0, p.ExitCode);
        Assert.Contains($"{tool}: netmapd (pid {deadPid}, started ", stderr.Result);
        Assert.Contains($") is gone; started a new one on {socket}: switches and persistent ports of the old one are lost", stderr.Result);
        Assert.Single(ProcStat.DaemonsOn(socket));
    }
}
