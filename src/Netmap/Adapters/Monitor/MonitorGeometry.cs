using Netmap.Abi;
using Netmap.Interop;
using Netmap.Memory;
using Netmap.Rings;

namespace Netmap.Adapters.Monitor;

/// <summary>
/// Where the ring objects and kring records of one region lie, from trusted values only: the engine's own pool
/// geometry, or (in a client) our region header cross-checked against a ring handle validated when the port was
/// opened. Used to turn a link entry, read from shared memory, into a <see cref="MonitorTarget"/> that cannot
/// reach outside its ring object.
/// </summary>
internal readonly struct MonitorGeometry
{
    private MonitorGeometry(MappedMemory memory, long kringTable, long ringPool, uint ringObjSize, uint ringObjTotal)
    {
        Memory = memory; KringTable = kringTable; RingPool = ringPool; RingObjSize = ringObjSize; RingObjTotal = ringObjTotal;
    }

    public MappedMemory Memory { get; }
    public long KringTable { get; }
    public long RingPool { get; }
    public uint RingObjSize { get; }
    public uint RingObjTotal { get; }

    /// <summary>The engine's view of <paramref name="region"/>.</summary>
    public static MonitorGeometry Of(MemoryRegion region)
        => new(region.Mapping, region.KringTableOffset, region.Rings.Offset, region.Rings.Geometry.ObjSize, region.Rings.Geometry.ObjTotal);

    /// <summary>A client's view of the region of <paramref name="k"/>; false when the region header no longer agrees
    /// with that ring (somebody scribbled on it).</summary>
    public static bool TryOf(Kring k, out MonitorGeometry g)
    {
        g = default;
        var mem = k.Ring.Memory;
        long table = k.StateOffset - (long)k.Index * KringState.Size;
        long memSize = table - RegionHeader.Size;
        if (memSize <= 0 || !mem.Contains(memSize, RegionHeader.Size)) return false;
        ref var h = ref mem.Ref<RegionHeader>(memSize);
        // Copies: the values checked are the values used.
        ulong magic = h.Magic, tableField = h.KringTableOffset;
        long pool = (long)h.RingPoolOffset;
        uint size = h.RingObjSize, total = h.RingObjTotal;
        if (magic != RegionHeader.MagicValue || tableField != (ulong)table) return false;
        if (size < NetmapRingHeader.Size || total == 0 || total > 0x00FF_FFFF || pool < 0) return false;
        if (pool + (long)size * total > memSize || k.Ring.Offset != pool + (long)k.Index * size) return false;
        if (!mem.Contains(table, (long)total * KringState.Size)) return false;
        g = new MonitorGeometry(mem, table, pool, size, total);
        return true;
    }

    /// <summary>The monitor RX ring named by <paramref name="entry"/>, if it is one: index in range, kind
    /// <see cref="KringKind.MonitorRx"/>, a slot count that fits its ring object. The slot count is read once here.</summary>
    public bool TryResolve(uint entry, out MonitorTarget target)
    {
        target = default;
        uint index = MonitorLinks.RingOf(entry);
        if (index >= RingObjTotal) return false;
        long so = KringTable + (long)index * KringState.Size;
        ref var ks = ref Memory.Ref<KringState>(so);
        if (ks.Kind != KringKind.MonitorRx) return false;
        uint n = ks.NumSlots;
        if (n < 2 || n > NetmapConstants.MonitorMaxSlots || NetmapRingHeader.ObjectSize(n) > RingObjSize) return false;
        target = new MonitorTarget(index, so, RingPool + (long)index * RingObjSize + NetmapRingHeader.OffsetOfSlots, n);
        return true;
    }
}
