using Netmap.Abi;
using Netmap.Api;
using Netmap.Engine;
using Netmap.Hosting;

namespace Netmap.Tests.Engine;

/// <summary>Pipe geometry at the edges: 1-slot requests and the largest ring counts (NM_PIPE_MAXRINGS = 256).</summary>
public sealed class PipeGeometryTests : IDisposable
{
    private readonly NetmapEngine _engine = new();

    public void Dispose() => _engine.Dispose();

    [Fact]
    public void AOneSlotPipe_GetsTwoSlots_AndTheClientOpensIt()
    {
        // A one-slot ring holds nothing (capacity is num_slots - 1): as monitors do, 1 becomes 2, the smallest ring made.
        using var m = NetmapPort.Open("netmap:g1{1@conf:slots=1", NetmapHost.Embedded(_engine));
        using var s = NetmapPort.Open("netmap:g1}1", NetmapHost.Embedded(_engine));
        Assert.Equal(2u, m.TxSlots);
        Assert.Equal(2u, m.RxSlots);
        Assert.True(m.Inject("x"u8));
        Assert.True(m.TxSync());
        Assert.True(s.RxSync());
        Assert.True(s.NextPacket(out var f, out _));
        Assert.Equal((byte)'x', f[0]);
    }

    [Theory]
    [InlineData(250)]
    [InlineData(251)]
    [InlineData(255)]
    [InlineData(256)]
    public void PipesWithUpTo256RingsPerDirection_Open(int rings)
    {
        using var c = new EngineClient(_engine);
        var err = c.Register($"gr{rings}{{1", new NmReqRegister { Mode = RegisterMode.AllNic, TxRings = (ushort)rings, RxRings = (ushort)rings, TxSlots = 8, RxSlots = 8 });
        Assert.True(err == Errno.None, $"{err}: {c.Session.LastError}");
        Assert.Equal((ushort)rings, c.Written.TxRings);
        using var port = NetmapPort.Open($"netmap:gr{rings}}}1", NetmapHost.Embedded(_engine));
        Assert.Equal(rings, port.TxRings.Count);
        Assert.Equal(rings, port.RxRings.Count);
    }

    [Fact]
    public void MoreThan256Rings_IsRefused_NamingTheLimit()
    {
        using var c = new EngineClient(_engine);
        Assert.Equal(Errno.EINVAL, c.Register("gr257{1", new NmReqRegister { Mode = RegisterMode.AllNic, TxRings = 257 }));
        Assert.Contains("at most 256 rings", c.Session.LastError);
    }
}
