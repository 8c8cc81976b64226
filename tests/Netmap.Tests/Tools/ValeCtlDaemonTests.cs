using Netmap.Api;
using Netmap.Hosting;
using Netmap.Tests.Infrastructure;
using Netmap.Tools.ValeCtl;

namespace Netmap.Tests.Tools;

/// <summary>
/// vale-ctl against the real netmapd: each vale-ctl request is a connection of its own, so what it creates must
/// outlive it (persistent ports, attachments), while ephemeral ports live as long as the process holding them.
/// </summary>
public sealed class ValeCtlDaemonTests : IDisposable
{
    private readonly DaemonFixture _daemon = DaemonFixture.Start();
    private readonly NetmapHost _host;

    public ValeCtlDaemonTests() => _host = NetmapHost.Daemon(_daemon.SocketPath);

    public void Dispose() => _daemon.Dispose();

    private (int Exit, string Out, string Err) ValeCtl(params string[] args)
    {
        var so = new StringWriter();
        var se = new StringWriter();
        int rc = ValeCtlRunner.Run(args, _host, so, se);
        return (rc, so.ToString(), se.ToString());
    }

    [Fact]
    public void Info_OnPipe_OverTheDaemon()
    {
        using var port = NetmapPort.Open("netmap:dg{1", _host);
        var o = ValeCtl("-g", "dg{1");
        Assert.True(o.Exit == 0, o.Err);
        Assert.Contains($"mem_id:     {port.MemId}\n", o.Out);
    }

    [Fact]
    public void PersistentPort_OutlivesTheRequestsConnections()
    {
        Assert.Equal((0, "", ""), ValeCtl("-n", "dfoo"));
        Assert.Equal((0, "port_index: 0\n", ""), ValeCtl("-a", "vale0:dfoo", "-v"));
        using (var port = NetmapPort.Open("vale0:eph", _host))
            Assert.Equal((0, "vale0:dfoo bridge_idx 0 port_idx 0\nvale0:eph bridge_idx 0 port_idx 1\n", ""), ValeCtl());
        Assert.Equal((0, "vale0:dfoo bridge_idx 0 port_idx 0\n", ""), ValeCtl());
        Assert.Equal((1, "", "failed to remove dfoo: Device or resource busy\n"), ValeCtl("-r", "dfoo"));
        Assert.Equal((0, "", ""), ValeCtl("-d", "vale0:dfoo"));
        Assert.Equal((0, "dfoo (persistent, not attached)\n", ""), ValeCtl());
        Assert.Equal((0, "", ""), ValeCtl("-r", "dfoo"));
        Assert.Equal((0, "", ""), ValeCtl());
    }
}
