using Netmap.Api;
using Netmap.Engine;
using Netmap.Hosting;

namespace Netmap.Tests.Nic.Packet;

/// <summary><c>netmap:IF@conf:backend=afpacket</c> through the public API with an embedded engine: frames both ways,
/// poll wakes on arrival, and closing the port gives the interface back.</summary>
public sealed class PacketPortTests
{
    [Fact]
    public void NetmapPortOnAfPacket_ReceivesAndSends_AndLetsGoOnDispose()
    {
        using var bed = new PacketBed(slots: 64, attach: false);
        using var engine = new NetmapEngine();
        var host = NetmapHost.Embedded(engine);
        var port = NamespaceThread.Run(bed.NsNetmap, () => NetmapPort.Open($"netmap:{bed.Dev}@conf:backend=afpacket", host));
        try
        {
            Assert.Equal(2, TcxLinks.CountOwnOn(bed.IfIndex));

            var sent = Enumerable.Range(0, 50).Select(i => PacketFrames.Make(i, PacketFrames.LengthOf(i))).ToList();
            foreach (var f in sent) bed.Peer.Send(f);
            var got = new List<byte[]>();
            var deadline = Environment.TickCount64 + 5000;
            while (got.Count < sent.Count && Environment.TickCount64 < deadline)
            {
                if (port.Poll(PollEvents.In, 100) == PollEvents.None) continue;
                while (port.NextPacket(out var frame, out _)) if (PacketFrames.IsTestFrame(frame)) got.Add(frame.ToArray());
            }
            Assert.Equal(sent.Count, got.Count);
            for (int i = 0; i < sent.Count; i++) Assert.Equal(sent[i], got[i]);

            var out1 = Enumerable.Range(100, 40).Select(i => PacketFrames.Make(i, PacketFrames.LengthOf(i))).ToList();
            foreach (var f in out1) Assert.True(port.Inject(f));
            Assert.True(port.TxSync());
            var back = bed.Peer.ReceiveTestFrames(out1.Count);
            Assert.Equal(out1.Count, back.Count);
            for (int i = 0; i < out1.Count; i++) Assert.Equal(out1[i], back[i]);
        }
        finally { port.Dispose(); }

        Assert.Equal(0, TcxLinks.CountOwnOn(bed.IfIndex));
    }
}
