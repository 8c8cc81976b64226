using System.Diagnostics;
using Netmap.Abi;
using Netmap.Engine;
using Netmap.Hosting.Daemon;
using Netmap.Interop;
using Netmap.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Netmap.Tests.Hosting;

/// <summary>
/// netmapd's life cycle: the socket file (stale, live, mode, group, unlink), signals, --detach, the command line.
/// Socket-file rules are checked on an in-process DaemonServer; process behaviour on the real executable.
/// </summary>
public sealed class NetmapdTests(ITestOutputHelper output) : IDisposable
{
    private const int SIGTERM = 15, SIGINT = 2;
    private readonly string _dir = Path.Combine("/tmp", $"netmapd-life-{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..8]}");

    private string SocketIn(string sub = "") => Path.Combine(_dir, sub, "netmapd.sock");

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    private static bool Answers(string path)
    {
        try { using var s = SeqPacketSocket.Connect(path); return true; }
        catch (NetmapException) { return false; }
    }

    private static string Stat(string format, string path)
    {
        var psi = new ProcessStartInfo("stat") { UseShellExecute = false, RedirectStandardOutput = true };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add(format);
        psi.ArgumentList.Add(path);
        using var p = Process.Start(psi)!;
        string s = p.StandardOutput.ReadToEnd().Trim();
        p.WaitForExit();
        return s;
    }

    // ------------------------------------------------------------ the socket file

    [Fact]
    public void Listen_CreatesTheDirectory0700_AndTheSocket0660_AndDisposeUnlinksIt()
    {
        string path = SocketIn("run/netmap");
        using var engine = new NetmapEngine();
        using (var server = new DaemonServer(engine, path))
        {
            // Private: only this uid (and root) may reach a daemon nobody gave a group to.
            Assert.Equal("700", Stat("%a", Path.GetDirectoryName(path)!));
            Assert.Equal("660 socket", Stat("%a %F", path));
            Assert.True(Answers(path));
        }
        Assert.False(File.Exists(path));
    }

    [Fact]
    public void Listen_ReplacesAStaleSocketFile_ButRefusesOneALiveDaemonAnswersOn()
    {
        string path = SocketIn();
        Directory.CreateDirectory(_dir);
        // A daemon that died without unlinking: the file stays, nobody answers.
        SeqPacketSocket.Listen(path).Dispose();
        Assert.True(File.Exists(path));
        Assert.False(Answers(path));

        using var engine = new NetmapEngine();
        using var server = new DaemonServer(engine, path);
        Assert.True(Answers(path));

        var ex = Assert.Throws<NetmapException>(() => new DaemonServer(engine, path));
        Assert.Equal(Errno.EEXIST, ex.Errno);
        Assert.True(Answers(path), "the refused second server must leave the live socket alone");
    }

    [Fact]
    public void Listen_NeverDeletesARegularFileInTheSocketsPlace()
    {
        string path = SocketIn();
        Directory.CreateDirectory(_dir);
        File.WriteAllText(path, "not a socket");
        using var engine = new NetmapEngine();

        var ex = Assert.Throws<NetmapException>(() => new DaemonServer(engine, path));

        Assert.Equal(Errno.EEXIST, ex.Errno);
        Assert.Equal("not a socket", File.ReadAllText(path));
    }

    [Fact]
    public void Listen_WithAGroup_GivesTheSocketFileThatGroup()
    {
        if (!ProcessInfo.IsRoot) { output.WriteLine("not root: chgrp to an arbitrary gid is not allowed here"); return; }
        string path = SocketIn();
        using var engine = new NetmapEngine();
        using var server = new DaemonServer(engine, path, group: "4242");

        Assert.Equal("4242 660", Stat("%g %a", path));
    }

    [Fact]
    public void Dispose_ClosesEveryConnection_AndReleasesItsRegistration()
    {
        string path = SocketIn();
        using var engine = new NetmapEngine();
        var server = new DaemonServer(engine, path);
        var channel = new DaemonChannel(path);
        var m = new byte[NmReqHeader.Size + NmReqRegister.Size];
        ref var h = ref RequestMessage.Header(m);
        h.Version = NetmapConstants.Api; h.RequestType = RequestType.Register; h.Body = NmReqHeader.Size; h.TrySetName("d{1");
        RequestMessage.At<NmReqRegister>(m, NmReqHeader.Size).Mode = RegisterMode.AllNic;
        Assert.Equal(Errno.None, channel.Control(m, out var reg, out _));
        Assert.Equal(1, engine.RegistrationCount);
        Assert.Equal(1, server.ConnectionCount);

        server.Dispose();

        Assert.Equal(0, server.ConnectionCount);
        Assert.Equal(0, engine.RegistrationCount);
        Assert.Equal(Errno.EPIPE, channel.Control(new byte[NmReqHeader.Size + NmReqPortInfoGet.Size], out _, out _));
        reg!.Dispose();
        channel.Dispose();
    }

    // ------------------------------------------------------------ the process

    [Theory]
    [InlineData(SIGTERM)]
    [InlineData(SIGINT)]
    public void ASignal_StopsNetmapdCleanly_AndUnlinksItsSocket(int signal)
    {
        using var daemon = DaemonFixture.Start();
        Assert.True(File.Exists(daemon.SocketPath));

        daemon.Signal(signal);

        Assert.True(daemon.WaitForExit(10_000), $"netmapd did not stop on signal {signal}:\n{daemon.Stderr}");
        Assert.Equal(0, daemon.ExitCode);
        Assert.False(File.Exists(daemon.SocketPath), "the socket file is still there");
        Assert.Contains("netmapd listening on " + daemon.SocketPath, daemon.Stderr);
    }

    [Fact]
    public void Detach_ExitsZeroOnceListening_AndTheDaemonOutlivesTheLauncherInItsOwnSession()
    {
        string path = SocketIn();
        var (code, stderr, launcherPid) = Run("--socket", path, "--detach");
        Assert.True(code == 0, $"--detach exited {code}: {stderr}");
        int daemonPid = -1;
        try
        {
            // The launcher is gone; the daemon answers, and SO_PEERCRED names it.
            using (var s = SeqPacketSocket.Connect(path)) daemonPid = s.PeerCredentials().Pid;
            Assert.True(daemonPid > 0 && daemonPid != launcherPid);
            var stat = File.ReadAllText($"/proc/{daemonPid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            int sid = int.Parse(fields[3]);
            Assert.Equal(daemonPid, sid); // a session leader: setsid(1) made it one
            Assert.Equal("/dev/null", new FileInfo($"/proc/{daemonPid}/fd/0").LinkTarget);
            Assert.Equal("/dev/null", new FileInfo($"/proc/{daemonPid}/fd/2").LinkTarget);

            // It serves, and stops cleanly on SIGTERM.
            using (var channel = new DaemonChannel(path))
                Assert.Equal(Errno.None, channel.Control(PortInfoGet(), out _, out _));
            Libc.kill(daemonPid, SIGTERM);
            var clock = Stopwatch.StartNew();
            while (File.Exists(path) && clock.ElapsedMilliseconds < 10_000) Thread.Sleep(20);
            Assert.False(File.Exists(path), "the detached daemon did not unlink its socket on SIGTERM");
            daemonPid = -1;
        }
        finally
        {
            if (daemonPid > 0) Libc.kill(daemonPid, 9);
        }
    }

    [Fact]
    public void DaemonLocator_StartsNetmapdWhenNothingListens_AndTheDaemonSurvivesTheChannel()
    {
        if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable(DaemonLocator.DaemonPathVariable)))
            Environment.SetEnvironmentVariable(DaemonLocator.DaemonPathVariable, DaemonFixture.FindExecutable());
        string path = SocketIn();
        int daemonPid = -1;
        try
        {
            using (var channel = DaemonLocator.Connect(path))
            {
                Assert.Equal(Errno.None, channel.Control(PortInfoGet(), out _, out _));
            }
            using (var s = SeqPacketSocket.Connect(path)) daemonPid = s.PeerCredentials().Pid;
            Assert.NotEqual(Environment.ProcessId, daemonPid);
        }
        finally
        {
            if (daemonPid > 0) Libc.kill(daemonPid, SIGTERM);
        }
        var clock = Stopwatch.StartNew();
        while (File.Exists(path) && clock.ElapsedMilliseconds < 10_000) Thread.Sleep(20);
        Assert.False(File.Exists(path));
    }

    [Fact]
    public void Detach_WhenADaemonAlreadyListens_ExitsZeroWithoutStartingAnother()
    {
        using var daemon = DaemonFixture.Start();

        var (code, stderr, _) = Run("--socket", daemon.SocketPath, "--detach");

        Assert.True(code == 0, stderr);
        Assert.Contains("already listening", stderr);
    }

    [Fact]
    public void Detach_WhenTheDaemonCannotStart_ExitsOneWithItsReason()
    {
        Directory.CreateDirectory(_dir);
        string notADirectory = Path.Combine(_dir, "file");
        File.WriteAllText(notADirectory, "");

        var (code, stderr, _) = Run("--socket", Path.Combine(notADirectory, "netmapd.sock"), "--detach");

        Assert.Equal(1, code);
        Assert.Contains("failed to start", stderr);
        Assert.Contains(notADirectory, stderr);
    }

    [Fact]
    public void TheCommandLine_HelpExitsZero_AndABadArgumentExitsTwo()
    {
        var (help, helpErr, _) = Run("--help");
        Assert.True(help == 0, helpErr);
        var (bad, badErr, _) = Run("--frobnicate");
        Assert.Equal(2, bad);
        Assert.Contains("unknown argument '--frobnicate'", badErr);
        var (missing, missingErr, _) = Run("--socket");
        Assert.Equal(2, missing);
        Assert.Contains("--socket needs a value", missingErr);
    }

    private static byte[] PortInfoGet()
    {
        var m = new byte[NmReqHeader.Size + NmReqPortInfoGet.Size];
        ref var h = ref RequestMessage.Header(m);
        h.Version = NetmapConstants.Api; h.RequestType = RequestType.PortInfoGet; h.Body = NmReqHeader.Size;
        return m;
    }

    /// <summary>Runs netmapd to completion (30 s at most); returns its exit code, stderr and pid.</summary>
    private (int Code, string Stderr, int Pid) Run(params string[] args)
    {
        var psi = new ProcessStartInfo(DaemonFixture.FindExecutable())
        {
            UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEndAsync();
        var outp = p.StandardOutput.ReadToEndAsync();
        Assert.True(p.WaitForExit(30_000), $"netmapd {string.Join(' ', args)} did not exit");
        // The pipes reach EOF only once every holder closed them: a detached daemon must not hold them.
        Assert.True(err.Wait(5000) && outp.Wait(5000), "netmapd's stdio stayed open after it exited (inherited by the daemon?)");
        output.WriteLine($"netmapd {string.Join(' ', args)} -> {p.ExitCode}\n{err.Result}");
        return (p.ExitCode, err.Result, p.Id);
    }
}
