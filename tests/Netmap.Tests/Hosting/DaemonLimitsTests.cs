using System.Diagnostics;
using System.Globalization;
using Netmap.Abi;
using Netmap.Api;
using Netmap.Hosting;
using Netmap.Hosting.Daemon;
using Netmap.Interop;
using Netmap.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Netmap.Tests.Hosting;

/// <summary>
/// netmapd under a hostile client: floods of connections from one unprivileged user, beyond the global cap, and up to
/// the descriptor limit are refused with the limit and its flag named, never with EMFILE; the daemon keeps its
/// thread count, gives every descriptor back, and serves a well-behaved client throughout and afterwards.
/// </summary>
public sealed class DaemonLimitsTests(ITestOutputHelper output)
{
    /// <summary>
    /// A flooding client (python3, run as any uid): COUNT connections, each sending one PORT_INFO_GET; the ones
    /// answered stay open. Prints "OK n REFUSED n OTHER n", the first refusal ("FIRST text") and the errnos
    /// ("ERRNOS e:n ..."), then holds everything until stdin closes.
    /// </summary>
    private const string FloodScript = """
        import socket, struct, sys
        path, count = sys.argv[1], int(sys.argv[2])
        msg = struct.pack('<HHI64sQQ', 14, 2, 0, b'', 0, 88) + bytes(32)
        held, ok, refused, other, first, errnos = [], 0, 0, 0, None, {}
        for i in range(count):
            s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
            try:
                s.connect(path)
                try:
                    s.send(msg)
                except OSError:
                    pass
                try:
                    data = s.recv(8192)
                except ConnectionResetError:
                    data = s.recv(8192)
                err, tok, mlen, dlen, bfds, seq = struct.unpack_from('<iIiiiI', data, 0)
                errnos[err] = errnos.get(err, 0) + 1
                if seq == 0 and err != 0:
                    refused += 1
                    if first is None: first = data[24 + mlen:24 + mlen + dlen].decode()
                    s.close()
                elif err == 0:
                    ok += 1
                    held.append(s)
                else:
                    other += 1
                    s.close()
            except OSError as e:
                other += 1
                errnos[e.errno] = errnos.get(e.errno, 0) + 1
                if first is None: first = repr(e)
                s.close()
        print(f"OK {ok} REFUSED {refused} OTHER {other}", flush=True)
        print(f"FIRST {first}", flush=True)
        print("ERRNOS " + " ".join(f"{k}:{v}" for k, v in sorted(errnos.items())), flush=True)
        sys.stdin.readline()
        """;

    private readonly record struct FloodResult(int Ok, int Refused, int Other, string First, string Errnos);

    /// <summary>Runs <see cref="FloodScript"/> as <paramref name="uid"/> (root: directly) and returns its report once it
    /// holds its connections; dispose the process to let them go.</summary>
    private (Process Process, FloodResult Result) Flood(uint uid, string socketPath, int count)
    {
        string python = OtherUser.Python ?? throw new InvalidOperationException("python3 not found");
        Process p;
        if (uid == 0)
        {
            var psi = new ProcessStartInfo(python) { UseShellExecute = false, RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var a in new[] { "-c", FloodScript, socketPath, count.ToString(CultureInfo.InvariantCulture) }) psi.ArgumentList.Add(a);
            p = Process.Start(psi)!;
        }
        else p = OtherUser.Start(uid, [python, "-c", FloodScript, socketPath, count.ToString(CultureInfo.InvariantCulture)]);
        var clock = Stopwatch.StartNew();
        var lines = new List<string>();
        var reader = Task.Run(() => { for (int i = 0; i < 3; i++) lines.Add(p.StandardOutput.ReadLine() ?? "EOF"); });
        if (!reader.Wait(TimeSpan.FromSeconds(60)))
        {
            p.Kill();
            throw new Xunit.Sdk.XunitException($"the flood did not report within 60 s: {p.StandardError.ReadToEnd()}");
        }
        output.WriteLine($"flood of {count} connections as uid {uid}: {string.Join(" | ", lines)} ({clock.ElapsedMilliseconds} ms)");
        var f = lines[0].Split(' ');
        if (f.Length != 6 || f[0] != "OK") throw new Xunit.Sdk.XunitException($"the flood failed: {string.Join('\n', lines)}\n{p.StandardError.ReadToEnd()}");
        return (p, new FloodResult(int.Parse(f[1]), int.Parse(f[3]), int.Parse(f[5]), lines[1]["FIRST ".Length..], lines[2]["ERRNOS ".Length..]));
    }

    private static void Release(Process flood)
    {
        try { flood.StandardInput.Close(); } catch (IOException) { }
        if (!flood.WaitForExit(10_000)) flood.Kill();
        flood.Dispose();
    }

    /// <summary>A well-behaved client: a pipe end registers and is released.</summary>
    private static void AssertServes(string socketPath, string pipe)
    {
        using var channel = new DaemonChannel(socketPath);
        var err = channel.Control(DaemonWire.Register(pipe), out var reg, out var detail);
        Assert.True(err == Errno.None, $"REGISTER {pipe}: {err} {detail}");
        reg!.Dispose();
    }

    private static void Warm(string socketPath)
    {
        AssertServes(socketPath, "warm{0");
        using var c = new DaemonChannel(socketPath);
        Assert.Equal(Errno.None, c.Control(DaemonWire.PortInfoGet(), out _, out _));
        Thread.Sleep(200);
    }

    [Fact]
    public void ThousandsOfConnectionsFromOneUnprivilegedUser_AreRefusedAtThePerUserCap_AndRootIsStillServed()
    {
        if (!OtherUser.Available || OtherUser.Python is null) { output.WriteLine($"not run: {OtherUser.Unavailable} or no python3"); return; }
        // --group: the socket (and its directory) reachable by uid 65534's group.
        using var daemon = DaemonFixture.Start("--group", OtherUser.Nobody.ToString(CultureInfo.InvariantCulture));
        Warm(daemon.SocketPath);
        var fdsBefore = daemon.Descriptors();
        int threadsBefore = daemon.ThreadCount;

        var (flood, r) = Flood(OtherUser.Nobody, daemon.SocketPath, 3000);
        try
        {
            Assert.Equal((256, 2744, 0), (r.Ok, r.Refused, r.Other));
            Assert.Equal("netmapd: uid 65534 has 256 connections (limit --max-connections-per-user 256)", r.First);
            // While the 256 are held: root is served, and no thread was added for them.
            AssertServes(daemon.SocketPath, "root{0");
            int threadsDuring = daemon.ThreadCount;
            output.WriteLine($"netmapd threads: {threadsBefore} before, {threadsDuring} with 256 connections held");
            Assert.True(threadsDuring <= threadsBefore + 2, $"netmapd went from {threadsBefore} to {threadsDuring} threads");
        }
        finally
        {
            Release(flood);
        }
        var leaked = daemon.WaitForDescriptors(fdsBefore);
        Assert.True(leaked.Count == 0, $"netmapd holds descriptors it did not hold before: {string.Join(", ", leaked)}");
        Assert.True(daemon.ThreadCount <= threadsBefore + 2);
        Assert.False(daemon.HasExited, daemon.Stderr);
        AssertServes(daemon.SocketPath, "after{0");
        Assert.Contains("refused: netmapd: uid 65534 has 256 connections", daemon.WaitForLog("uid 65534 has 256"));
    }

    [Fact]
    public void AFloodBeyondTheGlobalCap_IsRefusedNamingTheFlag_AndTheDaemonLivesOn()
    {
        if (OtherUser.Python is null) { output.WriteLine("not run: no python3"); return; }
        using var daemon = DaemonFixture.Start("--max-connections", "100", "--max-connections-per-user", "1000");
        Warm(daemon.SocketPath);
        var fdsBefore = daemon.Descriptors();
        int threadsBefore = daemon.ThreadCount;

        var (flood, r) = Flood(0, daemon.SocketPath, 1500);
        try
        {
            Assert.Equal((100, 1400, 0), (r.Ok, r.Refused, r.Other));
            Assert.Equal("netmapd: 100 connections are open (limit --max-connections 100)", r.First);
            Assert.Equal($"0:100 {(int)Errno.ENFILE}:1400", r.Errnos);
            // At the cap, a new client is refused with the same words (the connection layer's refusal as an Open's error).
            using var late = new DaemonChannel(daemon.SocketPath);
            Assert.Equal(Errno.ENFILE, late.Control(DaemonWire.Register("late{0"), out _, out var detail));
            Assert.Equal("netmapd: 100 connections are open (limit --max-connections 100)", detail);
            Assert.True(daemon.ThreadCount <= threadsBefore + 2);
        }
        finally
        {
            Release(flood);
        }
        Assert.Empty(daemon.WaitForDescriptors(fdsBefore));
        AssertServes(daemon.SocketPath, "after{0");
    }

    [Fact]
    public void ExhaustingDescriptors_IsRefusedAtTheReserve_NeverWithEmfile_AndEverythingComesBack()
    {
        if (OtherUser.Python is null) { output.WriteLine("not run: no python3"); return; }
        // A daemon with 400 descriptors: soft = hard, so raising to the hard limit changes nothing.
        using var daemon = DaemonFixture.StartUnder(["/usr/bin/prlimit", "--nofile=400:400", "--"],
            "--max-connections-per-user", "5000", "--descriptor-reserve", "64", "--verbose");
        Assert.Contains("400 descriptors (RLIMIT_NOFILE), 64 kept free", daemon.WaitForLog("400 descriptors"));
        Warm(daemon.SocketPath);
        var fdsBefore = daemon.Descriptors();

        var (flood, r) = Flood(0, daemon.SocketPath, 1000);
        var holders = new List<DaemonChannel>();
        try
        {
            Assert.True(r.Ok > 100 && r.Refused > 0 && r.Other == 0, $"{r}");
            Assert.Matches(@"^netmapd: \d+ of its 400 descriptors are in use \(RLIMIT_NOFILE; --descriptor-reserve 64 stay free\)$", r.First);
            Assert.Equal($"0:{r.Ok} {(int)Errno.ENFILE}:{r.Refused}", r.Errnos);

            // What the reserve is for: requests creating descriptors get a clear refusal, not EMFILE from a socketpair or a memfd.
            // Make room for a few connections, then register pipes on them until the reserve refuses.
            Release(flood);
            flood = null;
            var (flood2, r2) = Flood(0, daemon.SocketPath, r.Ok - 8);
            flood = flood2;
            Assert.Equal(r.Ok - 8, r2.Ok);
            var errors = new List<string>();
            for (int i = 0; i < 8; i++)
            {
                var ch = new DaemonChannel(daemon.SocketPath);
                holders.Add(ch);
                var err = ch.Control(DaemonWire.Register($"exh{i}{{0"), out var reg, out var detail);
                if (err != Errno.None) errors.Add($"{err}: {detail}");
            }
            output.WriteLine($"REGISTER at the edge: {string.Join(" | ", errors)}");
            Assert.NotEmpty(errors);
            Assert.All(errors, e => Assert.Matches(@"^ENFILE: netmapd: \d+ of its 400 descriptors are in use", e));
        }
        finally
        {
            foreach (var h in holders) h.Dispose();
            if (flood is not null) Release(flood);
        }
        Assert.False(daemon.HasExited, daemon.Stderr);
        Assert.DoesNotContain("EMFILE", daemon.Stderr);
        Assert.DoesNotContain("fail:", daemon.Stderr);
        Assert.Empty(daemon.WaitForDescriptors(fdsBefore));
        AssertServes(daemon.SocketPath, "after{0");
    }

    [Fact]
    public void ManyClientsChurningOpensClosesAndRequests_InParallel_LeaveNothingBehind()
    {
        using var daemon = DaemonFixture.Start("--request-threads", "2");
        Warm(daemon.SocketPath);
        var fdsBefore = daemon.Descriptors();
        int threadsBefore = daemon.ThreadCount;
        var host = NetmapHost.Daemon(daemon.SocketPath);
        var failures = new List<string>();
        var clock = Stopwatch.StartNew();
        Parallel.For(0, 8, new ParallelOptions { MaxDegreeOfParallelism = 8 }, t =>
        {
            try
            {
                for (int i = 0; i < 40; i++)
                {
                    using (var a = NetmapPort.Open($"netmap:churn{t}{{{i % 3}", host))
                    using (var b = NetmapPort.Open($"netmap:churn{t}}}{i % 3}", host))
                    {
                        Assert.True(a.Inject(new byte[60]));
                        a.TxSync();
                        Assert.Equal(PollEvents.In, b.Poll(PollEvents.In, 2000));
                    }
                    using var v = NetmapPort.Open($"vale3:churn{t}", host);
                    Assert.Equal(v.MemId, NetmapControl.PortInfo($"vale3:churn{t}", host: host).MemId);
                }
            }
            catch (Exception e)
            {
                lock (failures) failures.Add($"client {t}: {e.Message}");
            }
        });
        output.WriteLine($"8 clients x 40 rounds (2 pipe ends, an info request, a VALE port) in {clock.ElapsedMilliseconds} ms; threads {threadsBefore} -> {daemon.ThreadCount}");
        Assert.True(failures.Count == 0, string.Join("\n", failures));
        Assert.Empty(daemon.WaitForDescriptors(fdsBefore));
        Assert.True(daemon.ThreadCount <= threadsBefore + 2);
    }

    [Fact]
    public void Netmapd_RaisesItsDescriptorLimitToTheHardLimit()
    {
        using var daemon = DaemonFixture.StartUnder(["/usr/bin/prlimit", "--nofile=512:2048", "--"]);
        var limits = File.ReadLines($"/proc/{daemon.ProcessId}/limits").First(l => l.StartsWith("Max open files", StringComparison.Ordinal));
        output.WriteLine(limits);
        Assert.Matches(@"Max open files\s+2048\s+2048", limits);
        Assert.Contains("2048 descriptors (RLIMIT_NOFILE), 256 kept free", daemon.WaitForLog("2048 descriptors"));
    }

    [Theory]
    [InlineData("--max-connections", "0", "--max-connections: '0' is not a number in 1..1000000")]
    [InlineData("--max-connections-per-user", "x", "--max-connections-per-user: 'x' is not a number in 1..1000000")]
    [InlineData("--descriptor-reserve", "8", "--descriptor-reserve: '8' is not a number in 16..1000000")]
    [InlineData("--request-threads", "65", "--request-threads: '65' is not a number in 1..64")]
    public void ABadLimit_IsACommandLineError_NamingTheFlag(string flag, string value, string message)
    {
        var psi = new ProcessStartInfo(DaemonFixture.FindExecutable()) { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
        psi.ArgumentList.Add(flag);
        psi.ArgumentList.Add(value);
        using var p = Process.Start(psi)!;
        string stderr = p.StandardError.ReadToEnd();
        p.StandardOutput.ReadToEnd();
        Assert.True(p.WaitForExit(30_000));
        Assert.Equal(2, p.ExitCode);
        Assert.StartsWith($"netmapd: {message}\n", stderr);
        Assert.Contains(flag + " N", stderr); // the usage that follows documents it
    }

    [Fact]
    public void TheLimitsOfTheCommandLine_ReachTheServer()
    {
        using var daemon = DaemonFixture.Start("--max-connections", "10", "--max-connections-per-user=3", "--descriptor-reserve", "100", "--request-threads", "2");
        string line = $"limits: 10 connections, 3 per user; {DescriptorLimit.Get().Hard} descriptors (RLIMIT_NOFILE), 100 kept free; 2 request threads";
        Assert.Contains(line, daemon.WaitForLog(line));
        var held = new List<DaemonChannel>();
        try
        {
            // The fixture's readiness probe may not be closed by the daemon yet: it counts until it is.
            var clock = Stopwatch.StartNew();
            while (held.Count < 3)
            {
                var c = new DaemonChannel(daemon.SocketPath);
                if (c.Control(DaemonWire.PortInfoGet(), out _, out _) == Errno.None) { held.Add(c); continue; }
                c.Dispose();
                Assert.True(clock.ElapsedMilliseconds < 5000, "3 connections were never admitted");
                Thread.Sleep(20);
            }
            using var fourth = new DaemonChannel(daemon.SocketPath);
            Assert.Equal(Errno.EDQUOT, fourth.Control(DaemonWire.PortInfoGet(), out _, out var why));
            Assert.Equal($"netmapd: uid 0 has 3 connections (limit --max-connections-per-user 3)", why);
        }
        finally
        {
            foreach (var c in held) c.Dispose();
        }
    }
}
