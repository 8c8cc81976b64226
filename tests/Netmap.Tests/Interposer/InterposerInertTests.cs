using Netmap.Tests.Infrastructure;
using Netmap.Tests.Scenarios;
using Xunit.Abstractions;

namespace Netmap.Tests.Interposer;

/// <summary>
/// Test objective: the preloaded interposer does nothing in programs that never touch netmap (netmap programs spawn
/// ip, bash, bc with LD_PRELOAD inherited): no descriptor, no thread, no daemon, same output; and a missing daemon
/// with autostart forbidden is a clean open() failure, not a hang or a crash.
/// </summary>
[Collection(ScenarioCollection.Name)]
public sealed class InterposerInertTests(ITestOutputHelper log)
{
    /// <summary>bash builtins only after ip link (a pipeline's children and pipes would race with the listing).</summary>
    private const string Probe = "ip link >/dev/null; cd /proc/$$/fd && echo *; while read -r k v; do [ $k = Threads: ] && echo $k $v; done < /proc/$$/status; true";
    /// <summary>Starts its arguments with only stdin/stdout/stderr open (the test host's other descriptors, which tests
    /// running in parallel open and close, would otherwise leak into the child and make fd lists differ).</summary>
    private const string CleanStart = "-c \"import subprocess, sys; sys.exit(subprocess.call(sys.argv[1:], close_fds=True))\"";

    [Fact]
    public void AShellUnderNetmapRun_OpensNoDescriptorAndNoThread()
    {
        string socket = Path.Combine(Path.GetTempPath(), $"nmi-inert-{Guid.NewGuid():N}.sock");
        var env = CPrograms.Env(socket);
        env["NETMAP_NO_AUTOSTART"] = null; // even with autostart allowed nothing may start: no /dev/netmap was opened
        var plain = CPrograms.Run("python3", $"{CleanStart} bash -c \"{Probe}\"", env);
        var preloaded = CPrograms.Run("python3", $"{CleanStart} {CPrograms.NetmapRun} bash -c \"{Probe}\"", env);
        log.WriteLine(plain.Output);
        log.WriteLine(preloaded.Output);
        Assert.Equal(0, plain.ExitCode);
        Assert.Equal(0, preloaded.ExitCode);
        Assert.Equal(plain.Output, preloaded.Output);
        Assert.Contains("Threads: 1", preloaded.Output);
        Assert.False(File.Exists(socket));
        Assert.Empty(ProcStat.DaemonsOn(socket));
    }

    [Fact]
    public void OpeningTheDeviceWithNoDaemonAndNoAutostart_FailsWithAnErrnoAndAMessage()
    {
        string socket = Path.Combine(Path.GetTempPath(), $"nmi-none-{Guid.NewGuid():N}.sock");
        var (code, output) = CPrograms.Run(CPrograms.NetmapRun, $"{CPrograms.NmTest} pipe", CPrograms.Env(socket));
        log.WriteLine(output);
        Assert.Equal(1, code);
        Assert.Contains("open /dev/netmap", output);
        Assert.Contains("NETMAP_NO_AUTOSTART=1", output);
    }

    [Fact]
    public void TheFirstOpen_StartsNetmapdLikeEveryClient()
    {
        string dir = Path.Combine(Path.GetTempPath(), $"nmi-auto-{Guid.NewGuid():N}");
        string socket = Path.Combine(dir, "netmapd.sock");
        var env = CPrograms.Env(socket);
        env["NETMAP_NO_AUTOSTART"] = null;
        env["NETMAPD_PATH"] = DaemonFixture.FindExecutable();
        try
        {
            var (code, output) = CPrograms.Run(CPrograms.NetmapRun, $"{CPrograms.NmTest} pipe", env);
            log.WriteLine(output);
            Assert.True(code == 0, output);
            var daemons = ProcStat.DaemonsOn(socket);
            Assert.Single(daemons);
            // the daemon takes signals normally (spawned with default dispositions and an empty mask, not the
            // interposer's blocked one): SIGTERM stops it
            Netmap.Interop.Libc.kill(daemons[0], 15);
            var clock = System.Diagnostics.Stopwatch.StartNew();
            while (ProcStat.DaemonsOn(socket).Count > 0 && clock.ElapsedMilliseconds < 5000) Thread.Sleep(20);
            Assert.Empty(ProcStat.DaemonsOn(socket));
        }
        finally
        {
            foreach (int pid in ProcStat.DaemonsOn(socket)) ProcStat.Terminate(pid);
            try { Directory.Delete(dir, true); } catch (IOException) { }
        }
    }
}
