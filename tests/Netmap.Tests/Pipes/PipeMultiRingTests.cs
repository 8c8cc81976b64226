using Netmap.Api;
using Netmap.Engine;
using Netmap.Hosting;

namespace Netmap.Tests.Pipes;

/// <summary>Pipes with several ring pairs (@conf:rings=4): master TX ring i feeds slave RX ring i; ONE_NIC "-N" binds one pair.</summary>
public sealed class PipeMultiRingTests : IDisposable
{
    private readonly NetmapEngine _engine = new();
    private readonly NetmapHost _host;

    public PipeMultiRingTests() => _host = NetmapHost.Embedded(_engine);

    public void Dispose() => _engine.Dispose();

    private NetmapPort Open(string spec) => NetmapPort.Open(spec, _host);

    private static void Send(NetmapPort port, int ring, byte tag)
    {
        var r = port.TxRings[ring];
        ref var s = ref r.Slot(r.Head);
        port.Buffer(s.BufferIndex)[0] = tag;
        s.Length = 1;
        r.Head = r.Cur = r.Next(r.Head);
    }

    [Fact]
    public void BothEndsBoundToRingTwo_TalkOverThatPairOnly()
    {
        using var m = Open("netmap:mr{1-2@conf:rings=4");
        using var s = Open("netmap:mr}1-2");

        foreach (var p in new[] { m, s })
        {
            Assert.Equal((1, 1), (p.TxRings.Count, p.RxRings.Count));
            Assert.Equal((2, 2), (p.FirstTxRing, p.FirstRxRing));
            Assert.Equal((4u, 4u), (p.Interface.TxRings, p.Interface.RxRings));
            Assert.Equal(2, p.TxRings[0].RingId);
            for (int i = 0; i < 4; i++)
                Assert.Equal(i == 2, p.Interface.RingOffset(i) != 0);
        }

        Assert.True(m.Inject("m2s"u8));
        Assert.True(s.Inject("s2m"u8));
        Assert.True(m.TxSync());
        Assert.True(s.TxSync());
        Assert.True(m.RxSync());
        Assert.True(s.RxSync());
        Assert.True(s.NextPacket(out var a, out _));
        Assert.Equal("m2s"u8.ToArray(), a.ToArray());
        Assert.True(m.NextPacket(out var b, out _));
        Assert.Equal("s2m"u8.ToArray(), b.ToArray());
    }

    [Fact]
    public void MasterOnAllRings_ReachesEachSlaveRingOnlyThroughTheSameIndex()
    {
        using var m = Open("netmap:ma{1@conf:rings=4");
        var slaves = Enumerable.Range(0, 4).Select(i => Open($"netmap:ma}}1-{i}")).ToArray();
        try
        {
            Assert.Equal(4, m.TxRings.Count);
            for (int i = 0; i < 4; i++) Send(m, i, (byte)(100 + i));
            Send(m, 2, 200);
            Assert.True(m.TxSync());

            for (int i = 0; i < 4; i++)
            {
                Assert.True(slaves[i].RxSync());
                var got = new List<byte>();
                while (slaves[i].NextPacket(out var f, out _)) got.Add(f[0]);
                Assert.Equal(i == 2 ? new byte[] { 102, 200 } : new[] { (byte)(100 + i) }, got);
            }
        }
        finally
        {
            foreach (var s in slaves) s.Dispose();
        }
    }

    [Fact]
    public void SlaveOnAllRings_NextPacketVisitsEveryRing()
    {
        using var m = Open("netmap:mn{1@conf:rings=4");
        using var s = Open("netmap:mn}1");
        Assert.Equal(4, s.RxRings.Count);
        for (int i = 3; i >= 0; i--) Send(m, i, (byte)i);
        Assert.True(m.TxSync());
        Assert.True(s.RxSync());
        var got = new HashSet<byte>();
        while (s.NextPacket(out var f, out _)) got.Add(f[0]);
        Assert.Equal(new HashSet<byte> { 0, 1, 2, 3 }, got);
    }

    [Fact]
    public void Inject_MovesOnToTheNextRing_WhenTheCurrentOneIsFull()
    {
        using var m = Open("netmap:mi{1@conf:rings=2,slots=8");
        using var s = Open("netmap:mi}1");
        int n = 0;
        while (m.Inject(new byte[] { (byte)n })) n++;
        Assert.Equal(14, n); // 7 per ring
        Assert.Equal((0u, 0u), (m.TxRings[0].Space, m.TxRings[1].Space));
        Assert.True(m.TxSync());
        Assert.True(s.RxSync());
        Assert.Equal((7u, 7u), (s.RxRings[0].Space, s.RxRings[1].Space));
    }

    [Theory]
    [InlineData(10)]
    [InlineData(64)]
    public void PipeWithManyRings_OnAFreshParent_Opens_AndItsLastRingWorks(int rings)
    {
        using var m = Open($"netmap:many{{1@conf:rings={rings}");
        using var s = Open($"netmap:many}}1-{rings - 1}");
        Assert.Equal(rings, m.TxRings.Count);
        Send(m, rings - 1, 0x5a);
        Assert.True(m.TxSync());
        Assert.True(s.RxSync());
        Assert.True(s.NextPacket(out var f, out _));
        Assert.Equal(0x5a, f[0]);
    }

    [Fact]
    public void OneNicBeyondTheRings_IsRefused()
    {
        using var m = Open("netmap:mx{1@conf:rings=4");
        var ex = Assert.Throws<NetmapException>(() => Open("netmap:mx}1-4"));
        Assert.Equal(Errno.EINVAL, ex.Errno);
    }
}
