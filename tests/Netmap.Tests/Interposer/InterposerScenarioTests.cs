using Netmap.Tests.Infrastructure;
using Netmap.Tests.Scenarios;
using Xunit.Abstractions;

namespace Netmap.Tests.Interposer;

/// <summary>
/// Test objective: netmap C programs written from the ABI alone (native/interposer/tests/nmtest.c) run unmodified
/// under bin/netmap-run against a real netmapd: registration through NIOCCTRL and the legacy NIOCREGIF, netmap's
/// address arithmetic on the mapped region, syncs by ioctl and by poll/select/epoll mixed with sockets, multi-slot
/// packets byte for byte, fd passing, fork and exec, close-all loops, threads, and bad pointers answered with errnos.
/// Each scenario is one process (or a few) that prints PASS and exits 0, or says which check failed.
/// </summary>
[Collection(ScenarioCollection.Name)]
public sealed class InterposerScenarioTests(DaemonFixture daemon, ITestOutputHelper log) : IClassFixture<DaemonFixture>
{
    [Theory]
    [InlineData("pipe")]        // pipe ends registered with NIOCCTRL, NIOCTXSYNC/NIOCRXSYNC, NS_MOREFRAG packets checked byte for byte
    [InlineData("pipe-poll")]   // the same driven only by poll() (txsync and rxsync inside poll)
    [InlineData("pollmix")]     // poll on a netmap fd with a socket: timeout, socket-only, wakeup by another thread, POLLERR, ppoll mask
    [InlineData("eintr")]       // a signal interrupts a sleeping poll: EINTR
    [InlineData("legacy")]      // NIOCREGIF with PIPE_MASTER/SLAVE (name{N), NIOCGINFO, nr_version 13, bad pointer
    [InlineData("vale")]        // two VALE ports: private regions, frames through the switch (netmapd's worker)
    [InlineData("vale-poll")]
    [InlineData("null")]        // a null port in an existing region
    [InlineData("monitor")]     // a copy monitor of a pipe's TX ring sees the frames
    [InlineData("select")]      // select and pselect on netmap fds and a socket
    [InlineData("epoll")]       // epoll_ctl/epoll_wait/epoll_pwait with netmap fds and a socket
    [InlineData("threads")]     // concurrent NIOCCTRL requests from two threads while a third syncs the same fd
    [InlineData("badptr")]      // EFAULT, EMSGSIZE, EINVAL, EOPNOTSUPP for bad pointers and chains, never a crash
    [InlineData("kloop")]       // KLOOP_START/STOP, CSB_ENABLE, OPT_CSB, OPT_EXTMEM get the engine's refusals; POOLS_INFO_GET
    [InlineData("fork")]        // fork after register: the child syncs through netmapd, the parent in-process
    [InlineData("exec")]        // an inherited fd adopted by an exec'd image at its first mmap
    [InlineData("fdpass")]      // an fd server registers and passes the fd with SCM_RIGHTS; the receiver adopts it
    [InlineData("closeall")]    // close_range and close-all loops before and after the first open
    public void CProgramScenario_Passes(string scenario)
    {
        var (code, output) = CPrograms.Run(CPrograms.NetmapRun, $"{CPrograms.NmTest} {scenario}", CPrograms.Env(daemon.SocketPath));
        log.WriteLine(output);
        Assert.True(code == 0 && output.Contains($"PASS {scenario}"), $"nmtest {scenario} exited {code}:\n{output}\nnetmapd:\n{daemon.Stderr}");
    }

    [Fact]
    public void AConnectionNetmapdRefuses_FailsTheRequestWithNetmapdsReason()
    {
        using var limited = DaemonFixture.Start("--max-connections-per-user", "2");
        var env = CPrograms.Env(limited.SocketPath);
        env["NETMAP_INTERPOSE_VERBOSE"] = null;
        var (code, output) = CPrograms.Run(CPrograms.NetmapRun, $"{CPrograms.NmTest} legacy", env);
        log.WriteLine(output);
        Assert.Equal(1, code);
        Assert.Contains("limit --max-connections-per-user 2", output);
        Assert.Contains("errno 122", output); // EDQUOT, netmapd's refusal, not a broken pipe
    }

    [Fact]
    public void AnInterfacePairInANamespace_CarriesFramesBetweenItsEnds()
    {
        using var lab = new NetworkLab();
        var ns = lab.Namespace("cnic");
        var (a, b) = lab.Veth(peerNamespace: ns, rootNamespace: ns);
        var (code, output) = CPrograms.Run("ip", $"netns exec {ns} {CPrograms.NetmapRun} {CPrograms.NmTest} nic {a} {b}", CPrograms.Env(daemon.SocketPath));
        log.WriteLine(output);
        Assert.True(code == 0 && output.Contains("PASS nic"), $"nmtest nic exited {code}:\n{output}\nnetmapd:\n{daemon.Stderr}");
    }
}
