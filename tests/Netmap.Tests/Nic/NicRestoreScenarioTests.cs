using System.Diagnostics;
using Netmap.Tests.Infrastructure;
using Netmap.Tests.Scenarios;
using Xunit.Abstractions;

namespace Netmap.Tests.Nic;

/// <summary>
/// While a port holds an interface in netmap mode, the interface's traffic goes to the port, not to the host stack;
/// when the port's owner dies (SIGKILL of the client, or of netmapd itself), the stack gets it back and no XDP
/// program is left on the interface. Both backends; the client is a real pkt-gen process in the namespace.
/// </summary>
public sealed class NicRestoreScenarioTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData("")]
    [InlineData("@conf:backend=afpacket")]
    public async Task Sigkill_OfClient_ThenOfNetmapd_GiveTheInterfaceBack(string conf)
    {
        using var lab = new NetworkLab();
        string a = lab.Namespace("ka"), b = lab.Namespace("kb");
        var (a0, b0) = lab.Veth(peerNamespace: b, rootNamespace: a);
        lab.Exec(a, $"ip addr add 10.94.0.1/24 dev {a0}");
        lab.Exec(b, $"ip addr add 10.94.0.2/24 dev {b0}");
        Assert.True(Pings(lab, a), "no ping before netmap mode");

        // 1. The client dies: netmapd sees its connection close and releases the interface.
        using (var daemon = DaemonFixture.Start())
        {
            var client = StartReceiver(lab, b, daemon, $"netmap:{b0}{conf}");
            try
            {
                Assert.False(Pings(lab, a), "the host stack of kb answered while b0 was in netmap mode");
                if (conf.Length == 0) Assert.True(lab.HasXdpProgram(b, b0), "no XDP program while in netmap mode");
                client.Kill();
                await client.WaitForExitAsync();
                Assert.True(await EventuallyPings(lab, a), "ping did not come back after SIGKILL of the client\n" + daemon.Stderr);
                Assert.True(lab.XdpProgramGone(b, b0), "an XDP program is left after the client died");
            }
            finally
            {
                if (!client.HasExited) client.Kill();
            }

            // 2. netmapd dies (its bpf links and sockets close with it) while the client lives on.
            client = StartReceiver(lab, b, daemon, $"netmap:{b0}{conf}");
            try
            {
                Assert.False(Pings(lab, a), "the host stack answered while b0 was in netmap mode (second open)");
                daemon.Signal(9);
                Assert.True(daemon.WaitForExit(10_000));
                Assert.True(await EventuallyPings(lab, a), "ping did not come back after SIGKILL of netmapd");
                Assert.True(lab.XdpProgramGone(b, b0), "an XDP program is left after netmapd died");
            }
            finally
            {
                if (!client.HasExited) client.Kill();
                output.WriteLine(daemon.Stderr);
            }
        }
    }

    private static Process StartReceiver(NetworkLab lab, string ns, DaemonFixture daemon, string port)
    {
        var p = lab.Start(ns, $"env NETMAP_SOCKET={daemon.SocketPath} NETMAP_NO_AUTOSTART=1 {ScenarioPaths.PktGen} -i {port} -f rx -w 0 -T 100000");
        var clock = Stopwatch.StartNew();
        while (!p.StandardOutput.ReadLine()!.StartsWith("Receiving from", StringComparison.Ordinal))
            Assert.True(clock.ElapsedMilliseconds < 20_000, "pkt-gen did not start");
        _ = p.StandardOutput.ReadToEndAsync();
        _ = p.StandardError.ReadToEndAsync();
        return p;
    }

    private static bool Pings(NetworkLab lab, string ns) => lab.Ping(ns, "10.94.0.2", count: 2).Answered;

    private static async Task<bool> EventuallyPings(NetworkLab lab, string ns)
    {
        for (int i = 0; i < 20; i++)
        {
            if (lab.Ping(ns, "10.94.0.2").Answered) return true;
            await Task.Delay(250);
        }
        return false;
    }
}
