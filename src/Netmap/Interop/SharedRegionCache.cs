namespace Netmap.Interop;

/// <summary>
/// One mapping per distinct region per process (libnetmap's nmport_mmap rule), refcounted. Regions are keyed by
/// the memfd's (device, inode), so a region that died and whose mem_id was reused is never confused with the new one.
/// </summary>
internal static unsafe class SharedRegionCache
{
    private static readonly Dictionary<(ulong, ulong), (MappedMemory Map, int Refs)> Maps = new();
    private static readonly object Lock = new();

    /// <summary>Maps <paramref name="fd"/> (taking ownership of it) or reuses the existing mapping of the same memfd.</summary>
    public static MappedMemory Acquire(int fd, string owner)
    {
        byte* st = stackalloc byte[144];
        if (Libc.fstat(fd, st) != 0) { var e = SystemError.Last(owner, "fstat"); Libc.close(fd); throw e; }
        var key = (*(ulong*)st, *(ulong*)(st + 8));
        long size = *(long*)(st + 48);
        lock (Lock)
        {
            if (Maps.TryGetValue(key, out var entry))
            {
                Libc.close(fd);
                Maps[key] = (entry.Map, entry.Refs + 1);
                return entry.Map;
            }
            var map = MappedMemory.Map(owner, fd, size);
            Maps[key] = (map, 1);
            return map;
        }
    }

    public static void Release(MappedMemory map)
    {
        lock (Lock)
        {
            foreach (var (key, entry) in Maps)
            {
                if (!ReferenceEquals(entry.Map, map)) continue;
                if (entry.Refs > 1) Maps[key] = (map, entry.Refs - 1);
                else { Maps.Remove(key); map.Dispose(); }
                return;
            }
        }
    }
}
