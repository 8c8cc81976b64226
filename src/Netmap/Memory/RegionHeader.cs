using System.Runtime.InteropServices;

namespace Netmap.Memory;

/// <summary>
/// Our own header, placed right after netmap's pools (at offset nr_memsize) so C programs still see netmap's
/// layout in [0, nr_memsize). Written once by the engine when the region is created; clients read it to find
/// the pools and the kring table, and must validate it against the mapping length (another client may have
/// scribbled on it).
/// <code>
///  0                 if pool        ring pool            buf pool            nr_memsize
///  | netmap_if ...   | netmap_ring ... | buf 0 | buf 1 | ... |  RegionHeader | KringState[ring_objtotal] |
///  '-------------- what a netmap program maps --------------'  '------ ours: sync state, never in netmap's pools --'
/// </code>
/// </summary>
[StructLayout(LayoutKind.Explicit, Size = 128)]
internal struct RegionHeader
{
    public const ulong MagicValue = 0x4E47524E_54454E4DUL; // "MNETNRGN" little-endian bytes
    public const uint CurrentVersion = 1;
    public const int Size = 128;
    /// <summary>Bytes of one kring record in the table that follows the header.</summary>
    public const int KringRecordSize = 256;

    [FieldOffset(0)] public ulong Magic;
    [FieldOffset(8)] public uint Version;
    [FieldOffset(12)] public ushort MemId;
    [FieldOffset(16)] public ulong MemSize;
    [FieldOffset(24)] public ulong IfPoolOffset;
    [FieldOffset(32)] public uint IfObjTotal;
    [FieldOffset(36)] public uint IfObjSize;
    [FieldOffset(40)] public ulong RingPoolOffset;
    [FieldOffset(48)] public uint RingObjTotal;
    [FieldOffset(52)] public uint RingObjSize;
    [FieldOffset(56)] public ulong BufPoolOffset;
    [FieldOffset(64)] public uint BufObjTotal;
    [FieldOffset(68)] public uint BufObjSize;
    /// <summary>Region offset of KringState[0].</summary>
    [FieldOffset(72)] public ulong KringTableOffset;

    /// <summary>Total file size needed for a region whose netmap part is <paramref name="memSize"/> bytes.</summary>
    public static long FileSize(long memSize, uint ringObjTotal)
        => memSize + RoundUpPage(Size + (long)ringObjTotal * KringRecordSize);

    public static long RoundUpPage(long v) => (v + PoolGeometry.PageSize - 1) & ~(long)(PoolGeometry.PageSize - 1);
}
