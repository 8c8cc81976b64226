using Netmap.Abi;
using Netmap.Interop;
using Netmap.Memory;

namespace Netmap.Rings;

/// <summary>The pools and kring table of a mapped region, read from our <see cref="RegionHeader"/> and validated.</summary>
internal readonly record struct RegionLayout(
    ushort MemId, long MemSize,
    long IfPoolOffset, uint IfObjTotal, uint IfObjSize,
    long RingPoolOffset, uint RingObjTotal, uint RingObjSize,
    long BufPoolOffset, uint BufObjTotal, uint BufObjSize,
    long KringTableOffset)
{
    /// <summary>Reads the header found at <paramref name="memSize"/>; EFAULT when it is absent or inconsistent.</summary>
    public static RegionLayout Read(MappedMemory mem, long memSize, string owner)
    {
        if (!mem.Contains(memSize, RegionHeader.Size))
            throw NetmapException.Create(owner, "mmap", Errno.EFAULT, $"region of {mem.Length} bytes has no header at {memSize}");
        var h = mem.Ref<RegionHeader>(memSize); // copy: the checks below and the values used are the same
        var l = new RegionLayout(h.MemId, (long)h.MemSize,
            (long)h.IfPoolOffset, h.IfObjTotal, h.IfObjSize,
            (long)h.RingPoolOffset, h.RingObjTotal, h.RingObjSize,
            (long)h.BufPoolOffset, h.BufObjTotal, h.BufObjSize,
            (long)h.KringTableOffset);
        bool ok = h.Magic == RegionHeader.MagicValue && h.Version == RegionHeader.CurrentVersion
            && l.MemSize == memSize
            && l.IfObjSize > 0 && l.RingObjSize >= NetmapRingHeader.Size && l.BufObjSize >= 64
            && l.IfPoolOffset >= 0 && l.IfPoolOffset + (long)l.IfObjTotal * l.IfObjSize <= memSize
            && l.RingPoolOffset >= 0 && l.RingPoolOffset + (long)l.RingObjTotal * l.RingObjSize <= memSize
            && l.BufPoolOffset >= 0 && l.BufPoolOffset + (long)l.BufObjTotal * l.BufObjSize <= memSize
            && l.KringTableOffset == memSize + RegionHeader.Size
            && mem.Contains(l.KringTableOffset, (long)l.RingObjTotal * KringState.Size);
        if (!ok) throw NetmapException.Create(owner, "mmap", Errno.EFAULT, "region header is corrupt");
        return l;
    }
}
