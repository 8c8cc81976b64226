using System.Diagnostics;
using Netmap.Abi;
using Netmap.Api;
using Netmap.Hosting;
using Netmap.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Netmap.Tests.Scenarios;

// Test objective: in a netmapd shared with unprivileged users (--group), every switch, port, pipe, persistent port and
// region belongs to its creator and is, by default (mode 0600), invisible and unusable to other users: uid 65534
// (setpriv) cannot list root's ports, bind root's VALE port, open the other end of root's pipe, monitor root's port,
// create ports inside root's region (@N, @share=), detach or delete root's persistent port, or change polling on and
// detach root's attached interface — each refused with EACCES naming the object and its owner, while root goes on.
// A mode chosen at creation (@conf:mode=, vale-ctl -M) shares on purpose. A persistent port another user made under
// the name of an interface never captures an open of that interface.
[Collection(ScenarioCollection.Name)]
public sealed class OwnershipScenarioTests(ITestOutputHelper log) : IDisposable
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(30);
    private readonly DaemonFixture _daemon = DaemonFixture.Start("--group", "65534");

    public void Dispose() => _daemon.Dispose();

    private NetmapHost Root => NetmapHost.Daemon(_daemon.SocketPath);

    /// <summary>setpriv arguments for uid/gid, no supplementary groups, or exactly <paramref name="groups"/>.</summary>
    private static string[] As(uint uid, uint gid = 65534, string? groups = null)
        => ["setpriv", $"--reuid={uid}", $"--regid={gid}", groups is null ? "--clear-groups" : $"--groups={groups}"];

    /// <summary>vale-ctl ARGS as <paramref name="uid"/>: (exit code, stdout lines, stderr).</summary>
    private (int Exit, string[] Out, string Err) ValeCtl(uint uid, params string[] args)
    {
        string[] wrapper = As(uid);
        var psi = new ProcessStartInfo(wrapper[0]) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in wrapper[1..]) psi.ArgumentList.Add(a);
        psi.ArgumentList.Add(ScenarioPaths.ValeCtl);
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["NETMAP_SOCKET"] = _daemon.SocketPath;
        psi.Environment["NETMAP_NO_AUTOSTART"] = "1";
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        Assert.True(p.WaitForExit(30_000), "vale-ctl did not exit");
        log.WriteLine($"uid {uid}: vale-ctl {string.Join(' ', args)} -> {p.ExitCode}\n{stdout.Result}{stderr.Result}");
        return (p.ExitCode, stdout.Result.Split('\n', StringSplitOptions.RemoveEmptyEntries), stderr.Result);
    }

    /// <summary>Opening <paramref name="spec"/> as <paramref name="uid"/> fails with <paramref name="errno"/>; returns the message.</summary>
    private string OpenFails(string spec, string errno, uint uid = 65534, uint gid = 65534, string? groups = null)
    {
        using var peer = PeerProcess.Start(log, $"uid {uid}", _daemon.SocketPath, ["open-expect-error", spec, errno], wrapper: As(uid, gid, groups));
        int code = peer.WaitForExit(Limit);
        Assert.True(code == 0, peer.Output);
        return peer.Output;
    }

    /// <summary>Opens <paramref name="spec"/> as <paramref name="uid"/> and keeps it open (until Dispose).</summary>
    private PeerProcess Hold(string spec, uint uid = 65534, uint gid = 65534, string? groups = null)
    {
        var peer = PeerProcess.Start(log, $"uid {uid}", _daemon.SocketPath, ["hold", spec], wrapper: As(uid, gid, groups));
        peer.WaitForLine(PeerProtocol.Ready, Limit);
        return peer;
    }

    [Fact]
    public void AnotherUser_NeitherSeesNorUsesRootsSwitchPortsAndPersistentPorts()
    {
        using var port = NetmapPort.Open("valeo1:r", Root);
        NetmapControl.NewInterface("ownpa", host: Root);
        NetmapControl.ValeAttach("valeo1:ownpa", host: Root);
        NetmapControl.NewInterface("ownpl", host: Root); // attached to nothing

        var list = ValeCtl(65534);
        Assert.Equal(0, list.Exit);
        Assert.Empty(list.Out);
        Assert.Equal(["valeo1:r bridge_idx 0 port_idx 0", "valeo1:ownpa bridge_idx 0 port_idx 1", "ownpl (persistent, not attached)"], ValeCtl(0).Out);
        Assert.Contains("failed to list valeo1:r: No such file or directory", ValeCtl(65534, "-l", "valeo1:r").Err);
        Assert.Contains("Permission denied", ValeCtl(65534, "-g", "valeo1:r").Err);

        Assert.Contains("valeo1:r belongs to uid 0 (mode 0600): uid 65534 may not use it", OpenFails("valeo1:r", "EACCES"));
        Assert.Contains("switch valeo1 belongs to uid 0", OpenFails("valeo1:mine", "EACCES"));
        Assert.Contains("ownpa belongs to uid 0", OpenFails("valeo1:ownpa", "EACCES"));
        Assert.Contains("ownpl belongs to uid 0", OpenFails("netmap:ownpl", "EACCES"));

        Assert.Contains("failed to detach valeo1:ownpa: Permission denied", ValeCtl(65534, "-d", "valeo1:ownpa").Err);
        Assert.Contains("failed to remove ownpl: Permission denied", ValeCtl(65534, "-r", "ownpl").Err);
        Assert.Contains("failed to attach valeo2:ownpl: Permission denied", ValeCtl(65534, "-a", "valeo2:ownpl").Err);

        // Root is unaffected, and uid 65534 sees what it makes itself.
        Assert.Equal(0, ValeCtl(0, "-d", "valeo1:ownpa").Exit);
        Assert.Equal(0, ValeCtl(0, "-r", "ownpa").Exit);
        Assert.Equal(0, ValeCtl(0, "-r", "ownpl").Exit);
        using (Hold("valeo3:theirs"))
            Assert.Equal(["valeo3:theirs bridge_idx 1 port_idx 0"], ValeCtl(65534).Out);
        Assert.False(_daemon.HasExited, _daemon.Stderr);
    }

    [Fact]
    public void AnotherUser_CannotOpenRootsPipe_MonitorRootsPort_OrPutPortsInRootsRegion()
    {
        using var master = NetmapPort.Open("netmap:opipe{1", Root);
        using var vale = NetmapPort.Open("valeo4:r", Root);

        Assert.Contains("pipe opipe{1 belongs to uid 0", OpenFails("netmap:opipe}1", "EACCES"));
        Assert.Contains("pipe parent opipe belongs to uid 0", OpenFails("netmap:opipe{2", "EACCES"));
        Assert.Contains("belongs to uid 0", OpenFails("valeo4:r/r", "EACCES"));
        Assert.Contains("belongs to uid 0", OpenFails("netmap:opipe{1/t", "EACCES"));
        Assert.Contains($"mem_id {vale.MemId} belongs to uid 0", OpenFails($"valeo5:x@{vale.MemId}", "EACCES"));
        Assert.Contains($"mem_id {master.MemId} belongs to uid 0", OpenFails($"netmap:opipe2{{1@{master.MemId}", "EACCES"));
        Assert.Contains("valeo4:r belongs to uid 0", OpenFails("valeo5:y@share=valeo4:r", "EACCES"));

        // Root's own opens are unaffected.
        using var slave = NetmapPort.Open("netmap:opipe}1", Root);
        using var monitor = NetmapPort.Open("valeo4:r/r", Root);
        Assert.Equal(vale.MemId, monitor.MemId);
    }

    [Fact]
    public void AModeChosenAtCreation_SharesOnPurpose_WithEveryoneOrTheGroup()
    {
        // 0666: everyone may see and use the switch, the port and its region.
        using var shared = NetmapPort.Open("valeo6:shared@conf:mode=0666", Root);
        using (Hold("valeo6:shared"))
        using (Hold("valeo6:joined"))
        using (Hold($"valeo7:inside@{shared.MemId}"))
            Assert.Equal(["valeo6:shared bridge_idx 0 port_idx 0", "valeo6:joined bridge_idx 0 port_idx 1"], ValeCtl(65534).Out.Where(l => l.StartsWith("valeo6:")).ToArray());

        // 0660 by uid 65533 whose group is 65531 (65534 only lets it reach the socket): a member of 65531 may use it,
        // uid 65534 may not.
        using var owner = Hold("netmap:grp{1@conf:mode=0660", uid: 65533, gid: 65531, groups: "65534");
        Assert.Contains("pipe grp{1 belongs to uid 65533 (mode 0660)", OpenFails("netmap:grp}1", "EACCES"));
        using (Hold("netmap:grp}1", uid: 65532, gid: 65534, groups: "65531")) { }

        // 0644 is "look, don't touch".
        Assert.Equal(0, ValeCtl(0, "-n", "ownro", "-M", "0644").Exit);
        Assert.Contains("ownro (persistent, not attached)", ValeCtl(65534).Out);
        Assert.Contains("failed to remove ownro: Permission denied", ValeCtl(65534, "-r", "ownro").Err);
        Assert.Equal(0, ValeCtl(0, "-r", "ownro").Exit);
    }

    [Fact]
    public void APersistentPortNamedLikeAnInterface_NeverCapturesAnOpenOfTheInterface()
    {
        // VALE_NEWIF of an interface name in the caller's namespace is refused, as netmap's (which makes a netdev).
        Assert.Contains("failed to create lo: File exists", ValeCtl(65534, "-n", "lo").Err);

        // uid 65534 squats a name first; root then makes an interface of that name in a namespace of its own.
        string name = "sq" + Guid.NewGuid().ToString("N")[..8];
        var created = ValeCtl(65534, "-n", name, "-v");
        Assert.Equal(0, created.Exit);
        string squatMemId = created.Out.Single(l => l.StartsWith("mem_id:")).Split(' ', StringSplitOptions.RemoveEmptyEntries)[1];
        using var lab = new NetworkLab();
        string ns = lab.Namespace("own");
        lab.Exec(ns, $"ip link add {name} type veth peer name {name}p");
        lab.Exec(ns, $"ip link set {name} up");
        lab.Exec(ns, $"ip link set {name}p up");

        // Root's open of netmap:NAME from that namespace gets the interface, not the squatter's port.
        using var opener = PeerProcess.Start(log, "root in ns", _daemon.SocketPath, ["hold", "netmap:" + name + "@conf:backend=afpacket"],
            wrapper: ["ip", "netns", "exec", ns]);
        string opened = opener.WaitForLine("OPENED", Limit);
        Assert.DoesNotContain($" mem_id {squatMemId} ", opened + " ");
        opener.Kill();
        // The squatter still has its port, and only it may use it.
        Assert.Contains($"{name} (persistent, not attached)", ValeCtl(65534).Out);
        Assert.Equal(0, ValeCtl(65534, "-r", name).Exit);
    }

    [Fact]
    public void AnotherUser_CannotChangePollingOn_OrDetach_RootsAttachedInterface()
    {
        using var lab = new NetworkLab();
        string ns = lab.Namespace("pol");
        var (dev, _) = lab.Veth(peerNamespace: ns);
        string name = "valeo8:" + dev;
        NetmapControl.ValeAttach(name, host: Root, backend: NicBackendKind.Packet);
        try
        {
            Assert.Contains($"failed to enable polling on {name}: Permission denied", ValeCtl(65534, "-p", name, "-C", "0,0").Err);
            Assert.Contains($"failed to detach {name}: Permission denied", ValeCtl(65534, "-d", name).Err);
            Assert.Empty(ValeCtl(65534).Out);

            // vale-ctl's single-CPU mode now sends one CPU, which is what the engine accepts.
            Assert.Equal(0, ValeCtl(0, "-p", name, "-C", "0,0").Exit);
            Assert.Contains($"failed to disable polling on {name}: Permission denied", ValeCtl(65534, "-P", name).Err);
            Assert.Equal(0, ValeCtl(0, "-P", name).Exit);
        }
        finally
        {
            NetmapControl.ValeDetach(name, Root);
        }
    }

    [Fact]
    public void PersistentPorts_AreCountedAgainstTheirCreator()
    {
        using var d = DaemonFixture.Start("--group", "65534", "--max-ports-per-user", "2");
        (int, string[], string) Ctl(uint uid, params string[] a)
        {
            var psi = new ProcessStartInfo("setpriv") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var x in As(uid)[1..]) psi.ArgumentList.Add(x);
            psi.ArgumentList.Add(ScenarioPaths.ValeCtl);
            foreach (var x in a) psi.ArgumentList.Add(x);
            psi.Environment["NETMAP_SOCKET"] = d.SocketPath;
            psi.Environment["NETMAP_NO_AUTOSTART"] = "1";
            using var p = Process.Start(psi)!;
            string o = p.StandardOutput.ReadToEnd(), e = p.StandardError.ReadToEnd();
            p.WaitForExit();
            return (p.ExitCode, o.Split('\n', StringSplitOptions.RemoveEmptyEntries), e);
        }
        Assert.Equal(0, Ctl(65534, "-n", "cnt1").Item1);
        Assert.Equal(0, Ctl(65534, "-n", "cnt2").Item1);
        Assert.Contains("failed to create cnt3: Cannot allocate memory", Ctl(65534, "-n", "cnt3").Item3);
        var rootHost = NetmapHost.Daemon(d.SocketPath);
        NetmapControl.NewInterface("cnt0", host: rootHost);
        NetmapControl.NewInterface("cnt00", host: rootHost);
        var e = Assert.Throws<NetmapException>(() => NetmapControl.NewInterface("cnt000", host: rootHost));
        Assert.Contains("uid 0 holds 2 ports", e.Message); // root's own two: limits are per user, root included
        Assert.Contains("(limit --max-ports-per-user 2)", e.Message);
        Assert.Equal(["cnt1 (persistent, not attached)", "cnt2 (persistent, not attached)"], Ctl(65534).Item2); // root's are not its to see
        Assert.Equal(0, Ctl(65534, "-r", "cnt1").Item1);
        Assert.Equal(0, Ctl(65534, "-n", "cnt3").Item1); // the count came back
    }
}
