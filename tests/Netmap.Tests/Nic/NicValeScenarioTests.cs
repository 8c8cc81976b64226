using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Netmap.Api;
using Netmap.Hosting;
using Netmap.Tests.Infrastructure;
using Netmap.Tests.Scenarios;
using Xunit.Abstractions;

namespace Netmap.Tests.Nic;

/// <summary>
/// Linux interfaces attached to VALE switches through the real netmapd: two namespaces' kernel stacks talk (ping,
/// TCP) through the switch, and a namespace's stack exchanges frames with pkt-gen on a VALE port.
/// </summary>
public sealed class NicValeScenarioTests(ITestOutputHelper output)
{
    [Theory(Timeout = 120_000)]
    [InlineData("xdp")]
    [InlineData("afpacket")]
    public async Task KernelStacks_PingAndTcp_ThroughVale(string backend)
    {
        using var lab = new NetworkLab();
        string a = lab.Namespace("a"), b = lab.Namespace("b");
        var (ra, a0) = lab.Veth(peerNamespace: a);
        var (rb, b0) = lab.Veth(peerNamespace: b);
        lab.Exec(a, $"ip addr add 10.91.0.1/24 dev {a0}");
        lab.Exec(b, $"ip addr add 10.91.0.2/24 dev {b0}");
        using var daemon = DaemonFixture.Start();
        var host = NetmapHost.Daemon(daemon.SocketPath);
        string sw = backend == "xdp" ? "vale3" : "vale4";
        AttachWithBackend(host, $"{sw}:{ra}", backend);
        AttachWithBackend(host, $"{sw}:{rb}", backend);
        try
        {
            var ping = lab.Ping(a, "10.91.0.2", count: 3, timeoutMs: 2000);
            Assert.True(ping.Answered, ping + "\n" + daemon.Stderr);
            ping = lab.Ping(b, "10.91.0.1", count: 3, timeoutMs: 2000);
            Assert.True(ping.Answered, ping + "\n" + daemon.Stderr);

            await TcpTransfer(a, b, "10.91.0.2", 4 << 20);
            await TcpTransfer(b, a, "10.91.0.1", 4 << 20);
        }
        finally
        {
            output.WriteLine(daemon.Stderr);
        }
        NetmapControl.ValeDetach($"{sw}:{ra}", host);
        NetmapControl.ValeDetach($"{sw}:{rb}", host);
        Assert.True(lab.XdpProgramGone(null, ra));
    }

    /// <summary>VALE_ATTACH, with our interface-backend option for AF_PACKET (netmap's request has no such field).</summary>
    private static void AttachWithBackend(NetmapHost host, string name, string backend)
    {
        if (backend == "xdp") NetmapControl.ValeAttach(name, host: host);
        else NetmapControl.ValeAttach(name, host: host, backend: NicBackendKind.Packet);
    }

    /// <summary>Sends <paramref name="size"/> random bytes over TCP from a socket in <paramref name="fromNs"/> to a listener
    /// in <paramref name="toNs"/> and checks the SHA-256 on arrival.</summary>
    private static async Task TcpTransfer(string fromNs, string toNs, string toAddress, int size)
    {
        var data = RandomNumberGenerator.GetBytes(size);
        using var ready = new ManualResetEventSlim();
        var server = NamespaceThread.Start(toNs, () =>
        {
            using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            listener.Bind(new IPEndPoint(IPAddress.Parse(toAddress), 5901));
            listener.Listen(1);
            ready.Set();
            using var conn = listener.Accept();
            conn.ReceiveTimeout = 20_000;
            using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            var buf = new byte[65536];
            long total = 0;
            int n;
            while ((n = conn.Receive(buf)) > 0) { sha.AppendData(buf, 0, n); total += n; }
            return (total, sha.GetHashAndReset());
        });
        Assert.True(ready.Wait(10_000), "listener did not start");
        await NamespaceThread.Start(fromNs, () =>
        {
            using var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { SendTimeout = 20_000 };
            s.Connect(new IPEndPoint(IPAddress.Parse(toAddress), 5901));
            s.Send(data);
            s.Shutdown(SocketShutdown.Send);
            return 0;
        });
        var (received, hash) = await server;
        Assert.Equal(size, received);
        Assert.Equal(SHA256.HashData(data), hash);
    }

    [Fact(Timeout = 120_000)]
    public async Task NamespaceStack_And_PktGen_OnVale_SeeEachOther()
    {
        using var lab = new NetworkLab();
        string a = lab.Namespace("s");
        var (ra, a0) = lab.Veth(peerNamespace: a);
        lab.Exec(a, $"ip addr add 10.92.0.1/24 dev {a0}");
        lab.Exec(a, $"ip neigh add 10.92.0.2 lladdr 02:00:00:00:92:02 dev {a0}");
        string mac = lab.Exec(a, $"cat /sys/class/net/{a0}/address").Trim();
        using var daemon = DaemonFixture.Start();
        var host = NetmapHost.Daemon(daemon.SocketPath);
        NetmapControl.ValeAttach($"vale5:{ra}", host: host);

        // pkt-gen -> the namespace's stack: UDP datagrams to 10.92.0.1:7777 arrive on a socket there.
        using var bound = new ManualResetEventSlim();
        var receiver = NamespaceThread.Start(a, () =>
        {
            using var u = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp) { ReceiveTimeout = 3000 };
            u.Bind(new IPEndPoint(IPAddress.Any, 7777));
            bound.Set();
            int count = 0;
            var buf = new byte[2048];
            try { while (count < 50) { u.Receive(buf); count++; } } catch (SocketException) { }
            return count;
        });
        Assert.True(bound.Wait(10_000));
        var tx = RunPktGen(daemon, "-i", "vale5:pg", "-f", "tx", "-n", "200", "-R", "2000", "-l", "60", "-w", "0",
            "-d", "10.92.0.1:7777", "-s", "10.92.0.2:1234", "-D", mac, "-S", "02:00:00:00:92:02");
        Assert.True(tx.Exit == 0, tx.Output + daemon.Stderr);
        Assert.True(await receiver >= 50, $"the namespace's stack received too few datagrams; pkt-gen: {tx.Output}\n{daemon.Stderr}");

        // The namespace's stack -> pkt-gen: datagrams sent to 10.92.0.2 (a static neighbour on the VALE side) are
        // flooded by the switch to the pkt-gen port.
        using var stop = new CancellationTokenSource();
        var rx = Task.Run(() => RunPktGen(daemon, "-i", "vale5:pg", "-f", "rx", "-n", "100", "-w", "0"));
        await Task.Delay(1000);
        await NamespaceThread.Start(a, () =>
        {
            using var u = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            var payload = new byte[32];
            for (int i = 0; i < 300 && !rx.IsCompleted; i++) { u.SendTo(payload, new IPEndPoint(IPAddress.Parse("10.92.0.2"), 9999)); Thread.Sleep(5); }
            return 0;
        });
        var r = await rx;
        Assert.True(r.Exit == 0, r.Output + daemon.Stderr);
        Assert.Contains("Received 100 packets", r.Output);
        NetmapControl.ValeDetach($"vale5:{ra}", host);
    }

    private static (int Exit, string Output) RunPktGen(DaemonFixture daemon, params string[] args)
    {
        var psi = new ProcessStartInfo(ScenarioPaths.PktGen) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var x in args) psi.ArgumentList.Add(x);
        psi.Environment["NETMAP_SOCKET"] = daemon.SocketPath;
        psi.Environment["NETMAP_NO_AUTOSTART"] = "1";
        using var p = Process.Start(psi)!;
        var o = p.StandardOutput.ReadToEndAsync();
        var e = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(60_000)) { p.Kill(true); return (-1, "pkt-gen timed out\n" + o.Result + e.Result); }
        return (p.ExitCode, o.Result + e.Result);
    }
}
