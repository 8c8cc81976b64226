using Netmap.Abi;

namespace Netmap.Memory;

/// <summary>
/// Size of one pool after netmap's rounding: objsize up to a multiple of 64; clustentries = smallest i with
/// i*objsize % 4096 == 0 (cluster at most 4 MiB); objtotal rounded up to whole clusters.
/// </summary>
internal readonly record struct PoolGeometry(PoolKind Kind, uint ObjSize, uint ObjTotal, uint ClustEntries)
{
    public const int PageSize = 4096;
    public const int MaxClusterBytes = 4 << 20;

    /// <summary>Bytes of the pool.</summary>
    public long TotalBytes => (long)ObjSize * ObjTotal;

    /// <summary>Limits per pool (spec 1.5): object size and count ranges; private allocators allow fewer interfaces.
    /// Deviation: a private allocator's netmap_if objects may be up to 8 KiB (netmap: 4096), because a pipe end with
    /// 256 TX and 256 RX rings (NM_PIPE_MAXRINGS, netmap's stated limit) needs 56 + 8 * 514 = 4168 bytes.</summary>
    public static (uint MinSize, uint MaxSize, uint MinNum, uint MaxNum) Limits(PoolKind kind, bool global) => kind switch
    {
        PoolKind.Interface => (0, global ? 4096u : 8192u, global ? 10u : 1u, global ? 10000u : 100u),
        PoolKind.Ring => (256, 131072, 2, 1024),
        _ => (64, 65536, 4, 1_000_000),
    };

    /// <summary>Applies netmap's rounding; EINVAL (named) when the request is outside the pool's limits.</summary>
    public static PoolGeometry Compute(PoolKind kind, uint objSize, uint objNum, bool global, string owner)
    {
        var (minSize, maxSize, minNum, maxNum) = Limits(kind, global);
        if (objSize < minSize || objSize > maxSize)
            throw NetmapException.Create(owner, $"{kind} pool", Errno.EINVAL, $"object size {objSize} outside [{minSize}, {maxSize}]");
        if (objNum < minNum || objNum > maxNum)
            throw NetmapException.Create(owner, $"{kind} pool", Errno.EINVAL, $"object count {objNum} outside [{minNum}, {maxNum}]");
        uint size = (objSize + 63) & ~63u;
        uint clust = 0;
        for (uint i = 1; (long)i * size <= MaxClusterBytes; i++)
        {
            if ((long)i * size % PageSize == 0) { clust = i; break; }
        }
        if (clust == 0) clust = 1; // object larger than a cluster: one per cluster (not reachable with the limits above)
        uint clusters = (objNum + clust - 1) / clust;
        return new PoolGeometry(kind, size, clusters * clust, clust);
    }
}
