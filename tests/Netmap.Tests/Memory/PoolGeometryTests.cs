using Netmap.Abi;
using Netmap.Memory;

namespace Netmap.Tests.Memory;

/// <summary>Pool sizing (spec 1.5): rounding of object sizes and counts, limits, and the figures of the two allocators netmap programs see.</summary>
public class PoolGeometryTests
{
    [Theory]
    [InlineData((int)PoolKind.Buffer, 2048u, 2048u, 2u)]
    [InlineData((int)PoolKind.Buffer, 2000u, 2048u, 2u)]   // up to a multiple of 64
    [InlineData((int)PoolKind.Buffer, 65u, 128u, 32u)]
    [InlineData((int)PoolKind.Buffer, 64u, 64u, 64u)]
    [InlineData((int)PoolKind.Buffer, 1536u, 1536u, 8u)]    // 8 * 1536 = 3 pages
    [InlineData((int)PoolKind.Buffer, 65536u, 65536u, 1u)]
    [InlineData((int)PoolKind.Interface, 1024u, 1024u, 4u)]
    [InlineData((int)PoolKind.Interface, 100u, 128u, 32u)]
    [InlineData((int)PoolKind.Ring, 36864u, 36864u, 1u)]
    [InlineData((int)PoolKind.Ring, 20480u, 20480u, 1u)]
    [InlineData((int)PoolKind.Ring, 1856u, 1856u, 64u)]     // 256 + 16 * 100 slots: 29 * 64, so a cluster needs 64 objects
    [InlineData((int)PoolKind.Ring, 131072u, 131072u, 1u)]
    public void Compute_RoundsObjectSizeTo64_AndFindsTheSmallestPageMultipleCluster(int kindValue, uint size, uint roundedSize, uint clustEntries)
    {
        var kind = (PoolKind)kindValue; // PoolKind is internal: a public test method cannot take it
        var g = PoolGeometry.Compute(kind, size, 64, global: false, "test");
        Assert.Equal(roundedSize, g.ObjSize);
        Assert.Equal(clustEntries, g.ClustEntries);
        Assert.Equal(0, (long)g.ClustEntries * g.ObjSize % PoolGeometry.PageSize);
        Assert.Equal(kind, g.Kind);
    }

    [Theory]
    [InlineData(1024u, 10u, 12u)]   // 4 per cluster
    [InlineData(1024u, 12u, 12u)]
    [InlineData(1024u, 13u, 16u)]
    [InlineData(2048u, 4097u, 4098u)]
    [InlineData(2048u, 20482u, 20482u)]
    public void Compute_RoundsObjectCountUpToWholeClusters(uint size, uint count, uint total)
    {
        var kind = size == 1024 ? PoolKind.Interface : PoolKind.Buffer;
        var g = PoolGeometry.Compute(kind, size, count, global: kind == PoolKind.Interface, "test");
        Assert.Equal(total, g.ObjTotal);
        Assert.Equal((long)total * size, g.TotalBytes);
    }

    [Theory]
    [InlineData((int)PoolKind.Interface, 4097u, 10u, true)]
    [InlineData((int)PoolKind.Interface, 8192u, 10u, true)]
    [InlineData((int)PoolKind.Interface, 1024u, 9u, true)]      // global: 10..10000
    [InlineData((int)PoolKind.Interface, 1024u, 10001u, true)]
    [InlineData((int)PoolKind.Interface, 1024u, 0u, false)]     // private: 1..100
    [InlineData((int)PoolKind.Interface, 1024u, 101u, false)]
    [InlineData((int)PoolKind.Ring, 192u, 4u, false)]
    [InlineData((int)PoolKind.Ring, 131073u, 4u, false)]
    [InlineData((int)PoolKind.Ring, 262144u, 4u, false)]
    [InlineData((int)PoolKind.Ring, 20480u, 1u, false)]         // 2..1024
    [InlineData((int)PoolKind.Ring, 20480u, 1025u, false)]
    [InlineData((int)PoolKind.Buffer, 0u, 4u, false)]
    [InlineData((int)PoolKind.Buffer, 65537u, 4u, false)]
    [InlineData((int)PoolKind.Buffer, 131072u, 4u, false)]
    [InlineData((int)PoolKind.Buffer, 2048u, 3u, false)]        // 4..1e6
    [InlineData((int)PoolKind.Buffer, 2048u, 1_000_001u, false)]
    public void Compute_OutsideTheLimits_FailsEinvalNamingThePool(int kindValue, uint size, uint count, bool global)
    {
        var kind = (PoolKind)kindValue; // PoolKind is internal: a public test method cannot take it
        var ex = Assert.Throws<NetmapException>(() => PoolGeometry.Compute(kind, size, count, global, "mem_id 9"));
        Assert.Equal(Errno.EINVAL, ex.Errno);
        Assert.StartsWith("mem_id 9: ", ex.Message);
    }

    [Theory]
    [InlineData((int)PoolKind.Interface, 4096u, 10u, true)]
    [InlineData((int)PoolKind.Interface, 1024u, 10000u, true)]
    [InlineData((int)PoolKind.Interface, 1024u, 1u, false)]
    [InlineData((int)PoolKind.Interface, 1024u, 100u, false)]
    [InlineData((int)PoolKind.Ring, 256u, 2u, false)]
    [InlineData((int)PoolKind.Ring, 131072u, 1024u, false)]
    [InlineData((int)PoolKind.Buffer, 64u, 4u, false)]
    [InlineData((int)PoolKind.Buffer, 65536u, 4u, false)]
    [InlineData((int)PoolKind.Buffer, 2048u, 1_000_000u, false)]
    public void Compute_AtTheLimits_Succeeds(int kindValue, uint size, uint count, bool global)
    {
        var kind = (PoolKind)kindValue; // PoolKind is internal: a public test method cannot take it
        var g = PoolGeometry.Compute(kind, size, count, global, "test");
        Assert.True(g.ObjTotal >= count);
        Assert.True(g.ObjTotal < count + g.ClustEntries);
    }

    [Fact]
    public void GlobalAllocator_HasNetmapsDefaultFigures()
    {
        var p = AllocatorParameters.GlobalDefaults;
        Assert.Equal(new AllocatorParameters(1024, 100, 36864, 200, 2048, 163840), p);
        var ifs = PoolGeometry.Compute(PoolKind.Interface, p.IfSize, p.IfNum, global: true, "global");
        var rings = PoolGeometry.Compute(PoolKind.Ring, p.RingSize, p.RingNum, global: true, "global");
        var bufs = PoolGeometry.Compute(PoolKind.Buffer, p.BufSize, p.BufNum, global: true, "global");

        Assert.Equal((1024u, 100u, 4u, 102_400L), (ifs.ObjSize, ifs.ObjTotal, ifs.ClustEntries, ifs.TotalBytes));
        Assert.Equal((36_864u, 200u, 1u, 7_372_800L), (rings.ObjSize, rings.ObjTotal, rings.ClustEntries, rings.TotalBytes));
        Assert.Equal((2048u, 163_840u, 2u, 335_544_320L), (bufs.ObjSize, bufs.ObjTotal, bufs.ClustEntries, bufs.TotalBytes));
        Assert.Equal(343_019_520L, ifs.TotalBytes + rings.TotalBytes + bufs.TotalBytes);
    }

    [Fact]
    public void PrivateDefaults_AreNetmapsPrivParameters()
        => Assert.Equal(new AllocatorParameters(1024, 2, 20480, 4, 2048, 4098), AllocatorParameters.PrivateDefaults);

    [Fact]
    public void DefaultValePortAllocator_HasNetmapsFigures()
    {
        var p = AllocatorParameters.ForPrivatePort(2, 1024, 2, 1024, 0, 2);
        Assert.Equal(new AllocatorParameters(1024, 10, 20480, 20, 2048, 20482), p);
        var ifs = PoolGeometry.Compute(PoolKind.Interface, p.IfSize, p.IfNum, global: false, "vale");
        var rings = PoolGeometry.Compute(PoolKind.Ring, p.RingSize, p.RingNum, global: false, "vale");
        var bufs = PoolGeometry.Compute(PoolKind.Buffer, p.BufSize, p.BufNum, global: false, "vale");

        Assert.Equal((1024u, 12u, 12_288L), (ifs.ObjSize, ifs.ObjTotal, ifs.TotalBytes));
        Assert.Equal((20_480u, 20u, 409_600L), (rings.ObjSize, rings.ObjTotal, rings.TotalBytes));
        Assert.Equal((2048u, 20_482u, 41_947_136L), (bufs.ObjSize, bufs.ObjTotal, bufs.TotalBytes));
        Assert.Equal(42_369_024L, ifs.TotalBytes + rings.TotalBytes + bufs.TotalBytes);
    }

    [Fact]
    public void ForPrivatePort_RaisesEachPoolToFitThePort()
    {
        // 8 tx + 8 rx rings (+1 host each) of 4096 slots, 100 extra buffers, 3 pipes.
        var p = AllocatorParameters.ForPrivatePort(9, 4096, 9, 4096, 100, 3);
        Assert.Equal(1024u, p.IfSize);                          // 56 + 8 * 18 = 200 < 1024
        Assert.Equal(14u, p.IfNum);                             // 2 + 4 * 3
        Assert.Equal(256u + 16 * 4096, p.RingSize);             // 65,792 > 20,480
        Assert.Equal(9u + 9 + 24, p.RingNum);
        Assert.Equal((12u + 9) * 4096 * 2 + 2 + 100, p.BufNum);
        Assert.Equal(2048u, p.BufSize);

        var big = AllocatorParameters.ForPrivatePort(200, 64, 200, 64, 0, 0);
        Assert.Equal(56u + 8 * 400, big.IfSize);
    }
}
