using Netmap.Tests.Infrastructure;
using Netmap.Tests.Scenarios;
using Xunit.Abstractions;

namespace Netmap.Tests.Nic;

/// <summary>
/// Frames cross a veth between two processes in two namespaces, each a netmap client of the same netmapd: the
/// sender's TX ring goes out on one end through one backend, the receiver's RX ring takes them from the other end
/// through the other backend, and every frame is checked byte for byte (netmap-testpeer's pattern frames).
/// netmapd opens each interface in its client's namespace.
/// </summary>
public sealed class NicCrossProcessScenarioTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData("@conf:backend=xdp", "@conf:backend=afpacket", 60)]
    [InlineData("@conf:backend=afpacket", "@conf:backend=xdp", 60)]
    [InlineData("@conf:backend=xdp", "@conf:backend=afpacket", 1514)]
    [InlineData("@conf:backend=afpacket", "@conf:backend=xdp", 1514)]
    public void Frames_CrossAVeth_ByteExact(string senderConf, string receiverConf, int length)
    {
        const int Count = 500; // below one ring: nothing may be dropped even if the receiver is slow to wake
        using var lab = new NetworkLab();
        string a = lab.Namespace("xa"), b = lab.Namespace("xb");
        var (a0, b0) = lab.Veth(peerNamespace: b, rootNamespace: a);
        using var daemon = DaemonFixture.Start();
        using var rx = StartPeer(lab, b, daemon, "rx", "recv-pattern", $"netmap:{b0}{receiverConf}", Count, length);
        rx.WaitForLine("READY", TimeSpan.FromSeconds(20));
        using var tx = StartPeer(lab, a, daemon, "tx", "send-pattern", $"netmap:{a0}{senderConf}", Count, length);
        try
        {
            tx.ExpectSuccess(TimeSpan.FromSeconds(30));
            rx.ExpectSuccess(TimeSpan.FromSeconds(30));
        }
        finally
        {
            output.WriteLine(daemon.Stderr);
        }
    }

    private PeerProcess StartPeer(NetworkLab lab, string ns, DaemonFixture daemon, string name, string command, string port, int count, int length)
        => PeerProcess.Start(output, name, daemon.SocketPath, [command, port, count.ToString(), length.ToString()],
            new Dictionary<string, string?> { ["NETMAP_NETNS"] = ns }, wrapper: ["ip", "netns", "exec", ns]);
}
