using Netmap.Tests.Infrastructure;
using Netmap.Tests.Scenarios;

namespace Netmap.Tests.Tools;

/// <summary>Exit statuses of the built tools on a bad command line, as netmap's: pkt-gen's and vale-ctl's usage(-1)
/// exits 255, bridge.c's usage() exits 1.</summary>
public class ToolExitStatusTests
{
    [Theory]
    [InlineData("pkt-gen", "PktGen", "-x", 255)]
    [InlineData("pkt-gen", "PktGen", "-f rx", 255)]   // missing -i
    [InlineData("vale-ctl", "ValeCtl", "-x", 255)]
    [InlineData("bridge", "Bridge", "-x", 1)]
    [InlineData("pkt-gen", "PktGen", "-h", 0)]
    public void BadCommandLine_ExitsLikeNetmap(string tool, string project, string args, int status)
    {
        var env = new Dictionary<string, string?> { ["TOOL"] = ScenarioPaths.Tool(tool, project), ["NETMAP_NO_AUTOSTART"] = "1" };
        using var run = BashScript.Run($"\"$TOOL\" {args} >out 2>err; echo \"rc=$?\"", env, TimeSpan.FromSeconds(30));
        Assert.True(run.Value("rc") == status.ToString(), run.ToString());
        Assert.Contains("Usage", status == 0 ? run.File("out") : run.File("err"));
    }
}
