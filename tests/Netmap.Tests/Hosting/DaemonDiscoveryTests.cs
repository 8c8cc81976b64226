using System.Diagnostics;
using System.Globalization;
using Netmap.Abi;
using Netmap.Api;
using Netmap.Hosting;
using Netmap.Hosting.Daemon;
using Netmap.Interop;
using Netmap.Tests.Infrastructure;
using Netmap.Tests.Scenarios;
using Xunit.Abstractions;

namespace Netmap.Tests.Hosting;

/// <summary>
/// Which daemon a client talks to. Trust: a socket in a directory of another user, or one others may write, a socket
/// file of another user, a daemon running as another user, are refused with the path and the reason, and the fake
/// daemon never sees a frame; a root or own daemon in a proper directory is used. Order (as unprivileged users,
/// through setpriv): NETMAP_SOCKET, then the per-user socket, then the system socket for members of its group, then
/// the autostart; a socket that denies access names the group that would grant it.
/// </summary>
[Collection(ScenarioCollection.Name)]
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class DaemonDiscoveryTests(ITestOutputHelper output) : IDisposable
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(20);
    /// <summary>A group of /etc/group nobody is made a member of here (Debian's "staff").</summary>
    private const uint Group = 50;
    private const string GroupName = "staff";

    private readonly string _dir = Path.Combine("/tmp", $"nmtest-disc-{Guid.NewGuid():N}"[..26]);
    private readonly List<string> _cleanup = new();
    private readonly List<Process> _processes = new();

    public void Dispose()
    {
        foreach (var p in _processes)
        {
            try { if (!p.HasExited) p.Kill(); p.WaitForExit(5000); } catch (InvalidOperationException) { }
            p.Dispose();
        }
        foreach (var path in _cleanup.Append(_dir))
        {
            // Whatever an autostart left running below: per-user daemons of the test uids.
            foreach (int pid in DaemonsUnder(path)) ProcStat.Terminate(pid);
            try { Directory.Delete(path, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    /// <summary>netmapd processes whose --socket lies under <paramref name="dir"/>.</summary>
    private static IEnumerable<int> DaemonsUnder(string dir)
    {
        foreach (var d in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(d), out int pid)) continue;
            var argv = ProcStat.CommandLine(pid);
            if (argv is null) continue;
            for (int i = 0; i + 1 < argv.Length; i++)
                if (argv[i] == "--socket" && argv[i + 1].StartsWith(dir + "/", StringComparison.Ordinal)) { yield return pid; break; }
        }
    }

    private string NewDir(string name, uint owner, int mode)
    {
        string d = Path.Combine(_dir, name);
        Directory.CreateDirectory(d);
        File.SetUnixFileMode(_dir, (UnixFileMode)0x1ed); // 0755: every test uid may reach what is below
        File.SetUnixFileMode(d, (UnixFileMode)mode);
        OtherUser.Chown(d, owner, owner);
        return d;
    }

    private static NetmapException Refused(string path)
        => Assert.Throws<NetmapException>(() => DaemonLocator.TryConnect(path, ProcessInfo.EffectiveUid, checkFiles: true, out _, out _)?.Dispose());

    // ------------------------------------------------------------ trust, checked in this process (root)

    [Fact]
    public void ADirectoryOfAnotherUser_OrWritableByOthers_OrASymlink_IsRefusedWithThePathAndTheReason()
    {
        string foreign = NewDir("foreign", 1001, 0x1c0);                 // 0700, uid 1001
        var e = Refused(Path.Combine(foreign, "netmapd.sock"));
        Assert.Equal(Errno.EPERM, e.Errno);
        Assert.Equal($"{foreign}: owned by uid 1001, not by you or root: refusing to connect (set NETMAP_SOCKET to override)", e.Message);

        string open = NewDir("open", 0, 0x1ff);                          // 0777
        Assert.Equal($"{open}: writable by its group and others (mode 0777): refusing to connect (set NETMAP_SOCKET to override)", Refused(Path.Combine(open, "netmapd.sock")).Message);
        string groupWritable = NewDir("groupw", 0, 0x1f8);               // 0770
        Assert.Equal($"{groupWritable}: writable by its group (mode 0770): refusing to connect (set NETMAP_SOCKET to override)",
            Refused(Path.Combine(groupWritable, "netmapd.sock")).Message);
        string sticky = NewDir("sticky", 0, 0x3ff);                      // 1777, like /tmp: still others may write
        Assert.Contains("writable by its group and others (mode 01777)", Refused(Path.Combine(sticky, "netmapd.sock")).Message);

        string good = NewDir("good", 0, 0x1c0);
        string link = Path.Combine(_dir, "link");
        File.CreateSymbolicLink(link, good);
        Assert.Equal($"{link}: is a symbolic link, not a directory: refusing to connect (set NETMAP_SOCKET to override)", Refused(Path.Combine(link, "netmapd.sock")).Message);
    }

    [Fact]
    public void ASocketFileOfAnotherUser_OrNotASocket_IsRefused_AndARootDaemonInAProperDirectoryIsUsed()
    {
        string good = NewDir("good", 0, 0x1c0);
        string path = Path.Combine(good, "netmapd.sock");
        using var engine = new NetmapEngine();
        using (var server = new DaemonServer(engine, path))
        {
            using (var ch = DaemonLocator.TryConnect(path, ProcessInfo.EffectiveUid, checkFiles: true, out _, out _))
            {
                Assert.NotNull(ch);
                Assert.Equal(Errno.None, ch!.Control(DaemonWire.PortInfoGet(), out _, out _));
            }
            OtherUser.Chown(path, 1001, 1001);
            Assert.Equal($"{path}: owned by uid 1001, not by you or root: refusing to connect (set NETMAP_SOCKET to override)", Refused(path).Message);
        }
        File.WriteAllText(path, "");
        Assert.Equal($"{path}: is not a socket: refusing to connect (set NETMAP_SOCKET to override)", Refused(path).Message);
        File.Delete(path);
        // Nothing there yet: not an error, the next candidate (or the autostart) follows.
        Assert.Null(DaemonLocator.TryConnect(path, ProcessInfo.EffectiveUid, checkFiles: true, out var miss, out _));
        Assert.Equal(Errno.ENOENT, miss);
    }

    /// <summary>A fake daemon (python3 as <paramref name="uid"/>): listens on <paramref name="path"/>, prints LISTENING,
    /// then FRAME n for every message it receives on any connection.</summary>
    private ProcessLines FakeDaemon(uint uid, string path)
    {
        const string script = """
            import os, socket, sys, threading
            path = sys.argv[1]
            l = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
            l.bind(path)
            os.chmod(path, 0o777)
            l.listen(16)
            print("LISTENING", flush=True)
            n = [0]
            def serve(c):
                while True:
                    m = c.recv(65536)
                    if not m: return
                    n[0] += 1
                    print(f"FRAME {n[0]}", flush=True)
            while True:
                c, _ = l.accept()
                threading.Thread(target=serve, args=(c,), daemon=True).start()
            """;
        var p = OtherUser.Start(uid, [OtherUser.Python!, "-c", script, path]);
        _processes.Add(p);
        var lines = new ProcessLines(p);
        lines.WaitFor("LISTENING", Limit);
        return lines;
    }

    [Fact]
    public void ADaemonOfAnotherUser_IsRefusedEvenAtAnExplicitPath_AndSeesNoFrame()
    {
        if (!OtherUser.Available || OtherUser.Python is null) { output.WriteLine($"not run: {OtherUser.Unavailable} or no python3"); return; }
        uint spoofer = OtherUser.FreshId();
        string dir = NewDir("spoofer", spoofer, 0x1ed);
        string path = Path.Combine(dir, "netmapd.sock");
        var fake = FakeDaemon(spoofer, path);

        // NETMAP_SOCKET / NetmapHost.Daemon: the directory is the user's choice, the daemon's uid is still checked.
        var e = Assert.Throws<NetmapException>(() => NetmapPort.Open("netmap:spoof{1", NetmapHost.Daemon(path)));
        Assert.Equal(Errno.EPERM, e.Errno);
        Assert.Equal($"{path}: the daemon there runs as uid {spoofer}, not as you or root: refusing to connect", e.Message);
        Thread.Sleep(200);
        Assert.DoesNotContain(fake.All, l => l.StartsWith("FRAME", StringComparison.Ordinal));
    }

    // ------------------------------------------------------------ as an unprivileged user, through setpriv

    private PeerProcess Peer(string name, uint uid, string[] args, Dictionary<string, string?> env, params uint[] groups)
    {
        env.TryAdd("NETMAPD_PATH", ScenarioPaths.Netmapd);
        return PeerProcess.Start(output, name, "-", args, OtherUser.Environment(env), OtherUser.Prefix(uid, uid, groups));
    }

    [Fact]
    public void TheTmpSocketOfAnotherUser_IsRefused_AndTheFakeDaemonReceivesNothing()
    {
        if (!OtherUser.Available || OtherUser.Python is null) { output.WriteLine($"not run: {OtherUser.Unavailable} or no python3"); return; }
        // Without XDG_RUNTIME_DIR the per-user socket is /tmp/netmap-UID: another user got there first.
        uint victim = OtherUser.FreshId(), spoofer = OtherUser.FreshId();
        string dir = $"/tmp/netmap-{victim}";
        _cleanup.Add(dir);
        Directory.CreateDirectory(dir);
        File.SetUnixFileMode(dir, (UnixFileMode)0x1ed);
        OtherUser.Chown(dir, spoofer, spoofer);
        var fake = FakeDaemon(spoofer, Path.Combine(dir, "netmapd.sock"));

        using var peer = Peer("victim", victim, ["open-expect-error", "netmap:spoof{1", "EPERM"], new());
        peer.ExpectSuccess(Limit);
        string line = peer.WaitForLine(PeerProtocol.Error, Limit);
        Assert.Equal($"{PeerProtocol.Error} EPERM {dir}: owned by uid {spoofer}, not by you or root: refusing to connect (set NETMAP_SOCKET to override)", line);
        Thread.Sleep(200);
        Assert.DoesNotContain(fake.All, l => l.StartsWith("FRAME", StringComparison.Ordinal));

        // The same user's own directory, made by its autostart (0700), is used.
        Directory.Delete(dir, recursive: true);
        using var ok = Peer("own", victim, ["hold", "netmap:own{1"], new());
        ok.WaitForLine(PeerProtocol.Ready, Limit);
        Assert.True(FileStatus.Get(dir, out var st) == 0 && st.Uid == victim && st.Permissions == 0x1c0, $"{dir}: uid {st.Uid} mode {SocketTrust.Octal(st.Permissions)}");
    }

    /// <summary>Sockets the process <paramref name="pid"/> holds (each connection is one).</summary>
    private static int Sockets(int pid)
        => Directory.GetFiles($"/proc/{pid}/fd").Count(f => { try { return new FileInfo(f).LinkTarget?.StartsWith("socket:", StringComparison.Ordinal) == true; } catch (IOException) { return false; } });

    /// <summary>Which of <paramref name="daemons"/> (name, pid) served the peer holding a port: the one whose socket count grew.</summary>
    private static string WhoServes(Func<PeerProcess> start, out PeerProcess peer, params (string Name, int Pid)[] daemons)
    {
        var before = daemons.Select(d => Sockets(d.Pid)).ToArray();
        peer = start();
        peer.WaitForLine(PeerProtocol.Ready, Limit);
        var grew = daemons.Where((d, i) => Sockets(d.Pid) > before[i]).Select(d => d.Name).ToList();
        return grew.Count == 1 ? grew[0] : $"ambiguous: {string.Join(",", grew)}";
    }

    [Fact]
    public void DiscoveryOrder_ExplicitSocket_ThenPerUser_ThenTheSystemSocketForItsGroup_ThenAutostart()
    {
        if (!OtherUser.Available) { output.WriteLine($"not run: {OtherUser.Unavailable}"); return; }
        uint user = OtherUser.FreshId();
        string g = Group.ToString(CultureInfo.InvariantCulture);
        // The system daemon (as netmapd.service runs it, with --group) and a daemon named explicitly.
        using var system = DaemonFixture.Start("--group", g);
        using var named = DaemonFixture.Start("--group", g);
        Assert.Equal("750", Convert.ToString(FileStatusOf(system.Directory).Permissions, 8));
        string xdg = NewDir("xdg", user, 0x1c0);
        string perUser = Path.Combine(xdg, "netmap", "netmapd.sock");
        Dictionary<string, string?> Env(Dictionary<string, string?>? more = null)
        {
            var env = new Dictionary<string, string?> { ["XDG_RUNTIME_DIR"] = xdg, ["NETMAP_SYSTEM_SOCKET"] = system.SocketPath };
            if (more is not null) foreach (var (k, v) in more) env[k] = v;
            return env;
        }

        // A member of the group, no daemon of its own: the system daemon.
        Assert.Equal("system", WhoServes(() => Peer("member", user, ["hold", "netmap:m{1"], Env(), Group), out var member,
            ("system", system.ProcessId), ("named", named.ProcessId)));
        member.Dispose();

        // Not a member, no autostart: refused, and told which group would have let it in.
        using (var outsider = Peer("outsider", user, ["open-expect-error", "netmap:o{1", "ENOENT"], Env(new() { ["NETMAP_NO_AUTOSTART"] = "1" })))
        {
            outsider.ExpectSuccess(Limit);
            string line = outsider.WaitForLine(PeerProtocol.Error, Limit);
            Assert.Contains($"{system.SocketPath}: permission denied; members of group {GroupName} may connect (see netmapd --group)", line);
            Assert.Contains(perUser, line);
        }
        // Naming the system socket explicitly without the group: EACCES, same words.
        using (var direct = Peer("direct", user, ["open-expect-error", "netmap:o{1", "EACCES"], Env(new() { ["NETMAP_SOCKET"] = system.SocketPath })))
        {
            direct.ExpectSuccess(Limit);
            Assert.EndsWith($"{system.SocketPath}: permission denied; members of group {GroupName} may connect (see netmapd --group)", direct.WaitForLine(PeerProtocol.Error, Limit));
        }

        // Not a member: the autostart makes a per-user daemon (running as the user, in a 0700 directory).
        using var first = Peer("autostart", user, ["hold", "netmap:a{1"], Env());
        first.WaitForLine(PeerProtocol.Ready, Limit);
        int own = Assert.Single(ProcStat.DaemonsOn(perUser));
        Assert.Equal(user, FileStatusOf($"/proc/{own}").Uid);
        Assert.Equal(0x1c0u, FileStatusOf(Path.GetDirectoryName(perUser)!).Permissions);

        // Its own daemon now comes before the system one, even for a member of the group.
        Assert.Equal("per-user", WhoServes(() => Peer("member2", user, ["hold", "netmap:m2{1"], Env(), Group), out var member2,
            ("system", system.ProcessId), ("named", named.ProcessId), ("per-user", own)));
        member2.Dispose();

        // And NETMAP_SOCKET before everything.
        Assert.Equal("named", WhoServes(() => Peer("explicit", user, ["hold", "netmap:e{1"], Env(new() { ["NETMAP_SOCKET"] = named.SocketPath }), Group), out var expl,
            ("system", system.ProcessId), ("named", named.ProcessId), ("per-user", own)));
        expl.Dispose();
    }

    private static FileStatus FileStatusOf(string path)
    {
        Assert.Equal(0, FileStatus.Get(path, out var st));
        return st;
    }
}
