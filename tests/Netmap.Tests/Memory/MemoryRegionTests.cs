using Netmap.Abi;
using Netmap.Interop;
using Netmap.Memory;

namespace Netmap.Tests.Memory;

/// <summary>A whole region: netmap's three pools back to back, nr_memsize, our header after them.</summary>
public class MemoryRegionTests
{
    [Fact]
    public void GlobalRegion_Maps343MB_WithNetmapsLayout()
    {
        using var r = MemoryRegion.Create(NetmapConstants.GlobalMemId, AllocatorParameters.GlobalDefaults, isGlobal: true);
        Assert.Equal(343_019_520L, r.MemSize);
        Assert.True(r.Mapping.Length > r.MemSize); // our header and kring table follow
        Assert.Equal(0, r.Interfaces.Offset);
        Assert.Equal(102_400L, r.Rings.Offset);
        Assert.Equal(102_400L + 7_372_800L, r.Buffers.Offset);
        Assert.Equal(163_838u, r.Buffers.Free);
        Assert.Equal(100u, r.Interfaces.Free);
        Assert.Equal(200u, r.Rings.Free);

        var info = r.PoolsInfo();
        Assert.Equal((ulong)r.MemSize, info.MemSize);
        Assert.Equal(1, info.MemId);
        Assert.Equal((0UL, 100u, 1024u), (info.IfPoolOffset, info.IfPoolObjTotal, info.IfPoolObjSize));
        Assert.Equal((102_400UL, 200u, 36_864u), (info.RingPoolOffset, info.RingPoolObjTotal, info.RingPoolObjSize));
        Assert.Equal((7_475_200UL, 163_840u, 2048u), (info.BufPoolOffset, info.BufPoolObjTotal, info.BufPoolObjSize));
    }

    [Fact]
    public void DefaultValePortRegion_Is42MB_AndPageRounded()
    {
        using var r = MemoryRegion.Create(2, AllocatorParameters.ForPrivatePort(2, 1024, 2, 1024, 0, 2), isGlobal: false);
        Assert.Equal(42_369_024L, r.MemSize);
        Assert.Equal(0, r.MemSize % 4096);
        Assert.Equal(12_288L, r.Rings.Offset);
        Assert.Equal(12_288L + 409_600L, r.Buffers.Offset);
        Assert.Equal(20_480u, r.Buffers.Free);
        Assert.Equal(r.Buffers.Offset + 7 * 2048L, r.BufferOffset(7));
    }

    [Fact]
    public void Region_WritesOurHeaderRightAfterNrMemsize()
    {
        using var r = MemoryRegion.Create(7, new AllocatorParameters(1024, 4, 4096, 4, 2048, 64), isGlobal: false);
        ref var h = ref r.Mapping.Ref<RegionHeader>(r.MemSize);
        Assert.Equal(RegionHeader.MagicValue, h.Magic);
        Assert.Equal(7, h.MemId);
        Assert.Equal((ulong)r.MemSize, h.MemSize);
        Assert.Equal((ulong)r.Buffers.Offset, h.BufPoolOffset);
        Assert.Equal((ulong)(r.MemSize + RegionHeader.Size), h.KringTableOffset);
        Assert.True(r.Mapping.Contains(r.KringOffset(r.Rings.Geometry.ObjTotal - 1), RegionHeader.KringRecordSize));
    }

    [Fact]
    public void LedgerTryAllocate_IsAllOrNothing()
    {
        using var r = MemoryRegion.Create(7, new AllocatorParameters(1024, 4, 4096, 4, 2048, 64), isGlobal: false);
        uint free = r.Buffers.Free; // 62
        var owner = r.Ledger.CreateOwner("test");
        Assert.False(r.Ledger.TryAllocate(owner, new uint[free + 1]));
        Assert.Equal(free, r.Buffers.Free);
        Assert.Equal(0, owner.Count);
        var got = new uint[free];
        Assert.True(r.Ledger.TryAllocate(owner, got));
        Assert.Equal(0u, r.Buffers.Free);
        Assert.Equal(Enumerable.Range(2, (int)free).Select(i => (uint)i), got);
        Assert.All(got, b => Assert.Same(owner, r.Ledger.OwnerOf(b)));
        Assert.Equal((0L, (long)free), r.Ledger.Retire(owner));
        Assert.Equal(free, r.Buffers.Free);
        Assert.Equal(0, r.Buffers.DoubleFrees);
    }

    [Fact]
    public void Create_SealsTheMemfd_AgainstResizing()
    {
        using var r = MemoryRegion.Create(7, new AllocatorParameters(1024, 4, 4096, 4, 2048, 64), isGlobal: false);
        int seals = Libc.fcntl(r.Mapping.Fd, Libc.F_GET_SEALS, 0);
        Assert.Equal(MappedMemory.RegionSeals, seals & MappedMemory.RegionSeals);
        Assert.NotEqual(0, Libc.ftruncate(r.Mapping.Fd, 0));
        Assert.NotEqual(0, Libc.ftruncate(r.Mapping.Fd, r.Mapping.Length * 2));
        Assert.Equal(r.Mapping.Length, MappedMemory.FileSize(r.Mapping.Fd));
    }

    [Fact]
    public void Create_WithParametersOutsideTheLimits_FailsEinval()
    {
        var ex = Assert.Throws<NetmapException>(() => MemoryRegion.Create(7, new AllocatorParameters(1024, 4, 4096, 4, 100_000, 64), isGlobal: false));
        Assert.Equal(Errno.EINVAL, ex.Errno);
    }
}
