using System.Reflection;
using Netmap.Abi;
using Netmap.Memory;

namespace Netmap.Tests.Memory;

/// <summary>mem_id assignment and region lifetime (spec 1.5).</summary>
public class AllocatorRegistryTests
{
    /// <summary>Small private regions: quick to create.</summary>
    private static readonly AllocatorParameters Small = new(1024, 4, 4096, 4, 2048, 64);

    [Fact]
    public void CreatePrivate_AssignsIdsFromTwoUpwards()
    {
        using var reg = new AllocatorRegistry();
        Assert.Equal(2, reg.CreatePrivate(Small).MemId);
        Assert.Equal(3, reg.CreatePrivate(Small).MemId);
        Assert.Equal(4, reg.CreatePrivate(Small).MemId);
    }

    [Fact]
    public void CreatePrivate_TakesTheNextUnusedIdAfterTheLastAssigned_NotTheLowestFreeOne()
    {
        using var reg = new AllocatorRegistry();
        var a = reg.CreatePrivate(Small); a.Users = 1;
        var b = reg.CreatePrivate(Small); b.Users = 1;
        var c = reg.CreatePrivate(Small); c.Users = 1;
        reg.Release(b); // id 3 is free again
        Assert.False(reg.TryGet(3, out _));
        Assert.Equal(5, reg.CreatePrivate(Small).MemId);
    }

    [Fact]
    public void CreatePrivate_WrapsAfter65535_SkippingZeroAndOneAndIdsInUse()
    {
        using var reg = new AllocatorRegistry();
        var two = reg.CreatePrivate(Small); two.Users = 1; // id 2 stays in use
        SetLastAssigned(reg, 65534);
        Assert.Equal(65535, reg.CreatePrivate(Small).MemId);
        Assert.Equal(3, reg.CreatePrivate(Small).MemId); // wrapped: 0 and 1 skipped, 2 taken
    }

    [Fact]
    public void GlobalAllocator_IsIdOne_CreatedOnFirstUse_AndNeverReleased()
    {
        using var reg = new AllocatorRegistry();
        Assert.Empty(reg.Regions);
        Assert.True(reg.TryGet(NetmapConstants.GlobalMemId, out var g));
        Assert.Same(g, reg.Global);
        Assert.True(g.IsGlobal);
        Assert.Equal(1, g.MemId);
        g.Users = 1;
        reg.Release(g);
        Assert.True(reg.TryGet(1, out var again));
        Assert.Same(g, again);
        Assert.Equal(2, reg.CreatePrivate(Small).MemId); // the global id is never handed out
    }

    [Fact]
    public void PrivateRegion_IsReleasedWithItsLastUser()
    {
        using var reg = new AllocatorRegistry();
        var r = reg.CreatePrivate(Small);
        r.Users = 2;
        reg.Release(r);
        Assert.True(reg.TryGet(r.MemId, out var still));
        Assert.Same(r, still);
        Assert.NotEqual(0, r.Mapping.BaseAddress);
        reg.Release(r);
        Assert.False(reg.TryGet(r.MemId, out _));
        Assert.Equal(0, r.Mapping.BaseAddress); // unmapped
        Assert.Empty(reg.Regions);
    }

    [Fact]
    public void TryGet_OfAnUnknownId_Fails()
    {
        using var reg = new AllocatorRegistry();
        Assert.False(reg.TryGet(0, out _));
        Assert.False(reg.TryGet(2, out _));
        Assert.False(reg.TryGet(ushort.MaxValue, out _));
    }

    private static void SetLastAssigned(AllocatorRegistry reg, ushort id)
    {
        var f = typeof(AllocatorRegistry).GetField("_lastAssigned", BindingFlags.NonPublic | BindingFlags.Instance);
        Assert.NotNull(f);
        f!.SetValue(reg, id);
    }
}
