using Netmap.Tools;
using Netmap.Adapters.Nic;
using Netmap.Api;
using Netmap.Engine;
using Netmap.Hosting;
using Netmap.Tools.Bridge;
using static Netmap.Tests.Nic.Host.HostRingFrames;

namespace Netmap.Tests.Nic.Host;

/// <summary>Host rings end to end: <c>netmap:IF^</c> through the public API with an embedded engine, and bridge
/// between an interface and its own host stack (a transparent middlebox: the host still talks to its peer).</summary>
public sealed class HostRingPortTests
{
    public static TheoryData<string> Backends => new() { "", "@conf:backend=afpacket" };

    /// <summary>Frames of <paramref name="port"/> until one matches, or null after <paramref name="timeoutMs"/>.</summary>
    private static byte[]? Next(NetmapPort port, Func<byte[], bool> match, List<byte[]> seen, int timeoutMs = 3000)
    {
        long deadline = Environment.TickCount64 + timeoutMs;
        while (Environment.TickCount64 < deadline)
        {
            port.Poll(PollEvents.In, 50);
            while (port.NextPacket(out var frame, out _))
            {
                var f = frame.ToArray();
                seen.Add(f);
                if (match(f)) return f;
            }
        }
        return null;
    }

    [Theory(Timeout = 10_000), MemberData(nameof(Backends))]
    public async Task NetmapPortOnHostRings_SeesTheStacksFrames_AndInjectsIntoIt(string conf)
    {
        await Task.Yield();
        using var bed = new HostRingBed(NicBackendKind.Auto, attachNic: false);
        using var engine = new NetmapEngine();
        var host = NetmapHost.Embedded(engine);
        string tap = HostRingAttachment.TapNameFor(bed.IfIndex);
        var port = NamespaceThread.Run(bed.NsNetmap, () => NetmapPort.Open($"netmap:{bed.Dev}^{conf}", host), 5000);
        try
        {
            Assert.True(bed.LinkExists(tap));
            // Built by the engine on a thread of its own that entered the namespace: IPv6 is off on the right TAP.
            Assert.Equal("1", bed.Lab.ReadSysctl(bed.NsNetmap, $"net/ipv6/conf/{tap}/disable_ipv6"));
            Assert.DoesNotContain("inet", bed.Lab.Exec(bed.NsNetmap, $"ip addr show dev {tap}"));
            var seen = new List<byte[]>();
            bed.Lab.Ping(bed.NsNetmap, $"{HostRingBed.PeerIp}");
            Assert.NotNull(Next(port, f => IsArp(f, ArpRequest, HostRingBed.NetmapIp, HostRingBed.PeerIp), seen));

            Assert.True(port.Inject(ArpWhoHas(HostRingBed.NetmapIp)));
            Assert.True(port.TxSync());
            var reply = Next(port, f => IsArp(f, ArpReply, HostRingBed.NetmapIp, FakeIp), seen);
            Assert.True(reply is not null, $"no ARP reply; got {string.Join("; ", seen.Select(f => Describe(f)))}");
            Assert.Empty(bed.CollectPeer(100));
        }
        finally { port.Dispose(); }
        Assert.True(bed.LinkGone(tap), $"{tap} outlived the port");
    }

    [Theory(Timeout = 15_000), MemberData(nameof(Backends))]
    public async Task Bridge_BetweenTheInterfaceAndItsHostRings_IsTransparent(string conf)
    {
        using var bed = new HostRingBed(NicBackendKind.Auto, attachNic: false);
        using var engine = new NetmapEngine();
        var host = NetmapHost.Embedded(engine);
        Assert.True(BridgeOptions.TryParse(["-w", "0", "-i", $"netmap:{bed.Dev}{conf}", "-i", $"netmap:{bed.Dev}^{conf}"], out var options, out var err), err);
        var stop = new StopSignal();
        var so = new StringWriter();
        var se = new StringWriter();
        var run = NamespaceThread.Start(bed.NsNetmap,
            () => BridgeRunner.Run(options, host, TextWriter.Synchronized(so), TextWriter.Synchronized(se), stop), 14_000);
        string tap = HostRingAttachment.TapNameFor(bed.IfIndex);
        try
        {
            var deadline = Environment.TickCount64 + 3000;
            while (!bed.LinkExists(tap) && !run.IsCompleted && Environment.TickCount64 < deadline) Thread.Sleep(20);
            Assert.True(bed.LinkExists(tap), $"the bridge did not open the host rings: {se}");

            var out1 = bed.Lab.Ping(bed.NsNetmap, $"{HostRingBed.PeerIp}", count: 3, intervalMs: 200, timeoutMs: 2000);
            Assert.True(out1.Answered, $"host -> peer through the bridge: {out1}\nbridge: {se}");
            var out2 = bed.Lab.Ping(bed.NsPeer, $"{HostRingBed.NetmapIp}", count: 3, intervalMs: 200, timeoutMs: 2000);
            Assert.True(out2.Answered, $"peer -> host through the bridge: {out2}\nbridge: {se}");
        }
        finally
        {
            stop.Set();
        }
        Assert.Equal(0, await run);
        Assert.Matches(@"[1-9]\d* packets", so.ToString());
        Assert.True(bed.LinkGone(tap));
    }
}
