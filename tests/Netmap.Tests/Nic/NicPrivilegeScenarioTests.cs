using System.Diagnostics;
using Netmap.Tests.Scenarios;

namespace Netmap.Tests.Nic;

/// <summary>An embedded engine in a process without root or the capabilities refuses to open an interface with a
/// message that says what is missing (before the kernel would answer a bare EPERM), and touches nothing.</summary>
public sealed class NicPrivilegeScenarioTests
{
    [Fact]
    public void EmbeddedEngine_WithoutCapabilities_RefusesWithEperm_NamingWhatIsNeeded()
    {
        var psi = new ProcessStartInfo("setpriv") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all", "--bounding-set=-all",
                     ScenarioPaths.TestPeer, "embedded", "open-expect-error", "netmap:lo", "EPERM" })
            psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        string output = p.StandardOutput.ReadToEnd() + p.StandardError.ReadToEnd();
        Assert.True(p.WaitForExit(30_000), "the peer did not exit");
        Assert.True(p.ExitCode == 0, output);
        Assert.Contains("netmap:lo: NIOCCTRL REGISTER: EPERM", output);
        Assert.Contains("CAP_NET_ADMIN + CAP_NET_RAW + CAP_BPF", output);
    }
}
