using Netmap.Abi;
using Netmap.Interop;

namespace Netmap.Memory;

/// <summary>
/// One netmap allocator (mem_id): a memfd holding [IF pool | RING pool | BUF pool] exactly as netmap lays them
/// out, followed by our <see cref="RegionHeader"/> and kring table. Allocation bitmaps stay in the engine.
/// Not thread-safe: the engine serialises all control operations.
/// </summary>
internal sealed class MemoryRegion : IDisposable
{
    private MemoryRegion(ushort memId, bool isGlobal, AllocatorParameters parameters, ObjectPool ifs, ObjectPool rings, ObjectPool bufs, long memSize, MappedMemory mapping)
    {
        MemId = memId; IsGlobal = isGlobal; Parameters = parameters;
        Interfaces = ifs; Rings = rings; Buffers = bufs; MemSize = memSize; Mapping = mapping;
        Ledger = new BufferLedger(bufs, mapping);
    }

    public ushort MemId { get; }
    public bool IsGlobal { get; }
    public AllocatorParameters Parameters { get; }
    public ObjectPool Interfaces { get; }
    public ObjectPool Rings { get; }
    /// <summary>The buffer pool's geometry and allocation bitmap; allocate and free only through <see cref="Ledger"/>.</summary>
    public ObjectPool Buffers { get; }
    /// <summary>Who owns each buffer (the engine's record of what it handed to whom).</summary>
    public BufferLedger Ledger { get; }
    /// <summary>nr_memsize: the bytes a netmap program maps (the three pools, page-rounded).</summary>
    public long MemSize { get; }
    public MappedMemory Mapping { get; }
    /// <summary>Ports (and pipe parents) using this region; a private region dies with its last user.</summary>
    public int Users { get; set; }
    /// <summary>What the region costs (memory, a region, its memfd), charged to its creator; given back on dispose.</summary>
    public ResourceCharge? Charge { get; set; }
    /// <summary>Who made the region and who else may put ports into it (@N, @share=) or map it; everyone for the
    /// global region.</summary>
    public ObjectAccess Access { get; set; } = ObjectAccess.Everyone;

    /// <summary>Region offset of our kring table.</summary>
    public long KringTableOffset => MemSize + RegionHeader.Size;

    public long KringOffset(uint ringIndex) => KringTableOffset + (long)ringIndex * RegionHeader.KringRecordSize;

    /// <summary>Byte offset of buffer <paramref name="index"/>.</summary>
    public long BufferOffset(uint index) => Buffers.ObjectOffset(index);

    /// <summary>nr_memsize and the memfd's size of a region with parameters <paramref name="p"/>, without creating
    /// it (EINVAL, named, outside the pools' limits).</summary>
    public static (long MemSize, long FileSize) Measure(AllocatorParameters p, bool isGlobal, string owner)
    {
        var ifg = PoolGeometry.Compute(PoolKind.Interface, p.IfSize, p.IfNum, isGlobal, owner);
        var rg = PoolGeometry.Compute(PoolKind.Ring, p.RingSize, p.RingNum, isGlobal, owner);
        var bg = PoolGeometry.Compute(PoolKind.Buffer, p.BufSize, p.BufNum, isGlobal, owner);
        long memSize = RegionHeader.RoundUpPage(ifg.TotalBytes + rg.TotalBytes + bg.TotalBytes);
        return (memSize, RegionHeader.FileSize(memSize, rg.ObjTotal));
    }

    public static MemoryRegion Create(ushort memId, AllocatorParameters p, bool isGlobal)
    {
        string owner = $"mem_id {memId}";
        var ifg = PoolGeometry.Compute(PoolKind.Interface, p.IfSize, p.IfNum, isGlobal, owner);
        var rg = PoolGeometry.Compute(PoolKind.Ring, p.RingSize, p.RingNum, isGlobal, owner);
        var bg = PoolGeometry.Compute(PoolKind.Buffer, p.BufSize, p.BufNum, isGlobal, owner);
        long ifOff = 0, ringOff = ifg.TotalBytes, bufOff = ringOff + rg.TotalBytes;
        long memSize = RegionHeader.RoundUpPage(bufOff + bg.TotalBytes);
        long fileSize = RegionHeader.FileSize(memSize, rg.ObjTotal);
        var map = MappedMemory.CreateMemfd($"netmap-mem{memId}", fileSize);
        var region = new MemoryRegion(memId, isGlobal, p,
            new ObjectPool(ifg, ifOff, 0), new ObjectPool(rg, ringOff, 0), new ObjectPool(bg, bufOff, NetmapConstants.ReservedBuffers),
            memSize, map);
        ref var h = ref map.Ref<RegionHeader>(memSize);
        h.Magic = RegionHeader.MagicValue;
        h.Version = RegionHeader.CurrentVersion;
        h.MemId = memId;
        h.MemSize = (ulong)memSize;
        h.IfPoolOffset = (ulong)ifOff; h.IfObjTotal = ifg.ObjTotal; h.IfObjSize = ifg.ObjSize;
        h.RingPoolOffset = (ulong)ringOff; h.RingObjTotal = rg.ObjTotal; h.RingObjSize = rg.ObjSize;
        h.BufPoolOffset = (ulong)bufOff; h.BufObjTotal = bg.ObjTotal; h.BufObjSize = bg.ObjSize;
        h.KringTableOffset = (ulong)region.KringTableOffset;
        return region;
    }

    /// <summary>Fills a POOLS_INFO_GET body.</summary>
    public NmReqPoolsInfo PoolsInfo() => new()
    {
        MemSize = (ulong)MemSize, MemId = MemId,
        IfPoolOffset = (ulong)Interfaces.Offset, IfPoolObjTotal = Interfaces.Geometry.ObjTotal, IfPoolObjSize = Interfaces.Geometry.ObjSize,
        RingPoolOffset = (ulong)Rings.Offset, RingPoolObjTotal = Rings.Geometry.ObjTotal, RingPoolObjSize = Rings.Geometry.ObjSize,
        BufPoolOffset = (ulong)Buffers.Offset, BufPoolObjTotal = Buffers.Geometry.ObjTotal, BufPoolObjSize = Buffers.Geometry.ObjSize,
    };

    public void Dispose()
    {
        Mapping.Dispose();
        Charge?.Dispose();
    }
}
