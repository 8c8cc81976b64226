using Netmap.Memory;

namespace Netmap.Tests.Memory;

/// <summary>The allocation bitmap of one pool: lowest free index first, reserved buffers, refused frees.</summary>
public class ObjectPoolTests
{
    private static ObjectPool Buffers(uint count = 128) =>
        new(PoolGeometry.Compute(PoolKind.Buffer, 2048, count, global: false, "test"), offset: 4096, reserved: 2);

    [Fact]
    public void TryAllocate_HandsOutTheLowestFreeIndexFirst_StartingAfterTheReservedBuffers()
    {
        var pool = Buffers();
        for (uint want = 2; want < 10; want++)
        {
            Assert.True(pool.TryAllocate(out uint got));
            Assert.Equal(want, got);
        }
        Assert.True(pool.Release(5));
        Assert.True(pool.Release(3));
        Assert.True(pool.TryAllocate(out uint a));
        Assert.True(pool.TryAllocate(out uint b));
        Assert.True(pool.TryAllocate(out uint c));
        Assert.Equal((3u, 5u, 10u), (a, b, c));
    }

    [Fact]
    public void TryAllocate_CrossesBitmapWords_AndStopsAtObjTotal()
    {
        var pool = Buffers(130); // 130 buffers: the last word of the bitmap is partly past the end
        Assert.Equal(130u, pool.Geometry.ObjTotal);
        var seen = new HashSet<uint>();
        while (pool.TryAllocate(out uint i)) Assert.True(seen.Add(i));
        Assert.Equal(128, seen.Count);
        Assert.Equal(2u, seen.Min());
        Assert.Equal(129u, seen.Max());
        Assert.Equal(0u, pool.Free);
        Assert.True(pool.Release(70));
        Assert.True(pool.TryAllocate(out uint again));
        Assert.Equal(70u, again);
    }

    [Fact]
    public void ReservedBuffers_AreNeverHandedOut_AndCannotBeFreed()
    {
        var pool = Buffers();
        Assert.Equal(pool.Geometry.ObjTotal - 2, pool.Free);
        Assert.True(pool.IsAllocated(0));
        Assert.True(pool.IsAllocated(1));
        Assert.False(pool.Release(0));
        Assert.False(pool.Release(1));
        Assert.Equal(2, pool.InvalidFrees);
        Assert.Equal(0, pool.DoubleFrees);
        Assert.Equal(pool.Geometry.ObjTotal - 2, pool.Free);
        while (pool.TryAllocate(out uint i)) Assert.True(i >= 2);
    }

    [Fact]
    public void Release_OfAFreeIndex_IsRefusedAndCountedAsDoubleFree()
    {
        var pool = Buffers();
        Assert.True(pool.TryAllocate(out uint i));
        uint free = pool.Free;
        Assert.True(pool.Release(i));
        Assert.False(pool.Release(i));
        Assert.False(pool.Release(100)); // never allocated
        Assert.Equal(2, pool.DoubleFrees);
        Assert.Equal(free + 1, pool.Free);
    }

    [Fact]
    public void Release_OutOfRange_IsRefusedAndCountedAsInvalid()
    {
        var pool = Buffers();
        Assert.False(pool.Release(pool.Geometry.ObjTotal));
        Assert.False(pool.Release(uint.MaxValue));
        Assert.Equal(2, pool.InvalidFrees);
        Assert.Equal(0, pool.DoubleFrees);
    }

    [Fact]
    public void ObjectOffset_AndIndexOf_AreInverses()
    {
        var pool = Buffers();
        Assert.Equal(4096 + 5 * 2048L, pool.ObjectOffset(5));
        Assert.Equal(5, pool.IndexOf(4096 + 5 * 2048L));
        Assert.Equal(-1, pool.IndexOf(4095));
        Assert.Equal(-1, pool.IndexOf(4096 + 5 * 2048L + 1));
        Assert.Equal(-1, pool.IndexOf(pool.ObjectOffset(pool.Geometry.ObjTotal)));
    }

    [Fact]
    public void InterfacePool_WithoutReservation_StartsAtZero()
    {
        var pool = new ObjectPool(PoolGeometry.Compute(PoolKind.Interface, 1024, 4, global: false, "test"), 0, 0);
        Assert.True(pool.TryAllocate(out uint i));
        Assert.Equal(0u, i);
        Assert.True(pool.Release(0));
    }
}
