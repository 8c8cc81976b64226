namespace Netmap.Interop;

/// <summary>
/// One mapping per distinct region per process (libnetmap's nmport_mmap rule), refcounted. Regions are keyed by
/// the memfd's (device, inode), so a region that died and whose mem_id was reused is never confused with the new one.
/// </summary>
internal static unsafe class SharedRegionCache
{
    private static readonly Dictionary<(ulong, ulong), (MappedMemory Map, int Refs)> Maps = new();
    private static readonly object Lock = new();

    /// <summary>Maps <paramref name="fd"/> (taking ownership of it, closed on failure) or reuses the existing mapping of
    /// the same memfd. The memfd must be sealed against resizing and hold at least <paramref name="minLength"/> bytes
    /// (<see cref="MappedMemory.CheckSealedRegion"/>), so the mapping can never outgrow the file.</summary>
    public static MappedMemory Acquire(int fd, long minLength, string owner)
    {
        byte* st = stackalloc byte[144];
        if (Libc.fstat(fd, st) != 0) { var e = SystemError.Last(owner, "fstat"); Libc.close(fd); throw e; }
        var key = (*(ulong*)st, *(ulong*)(st + 8));
        long size = *(long*)(st + 48);
        try { size = MappedMemory.CheckSealedRegion(fd, size, minLength, owner); }
        catch { Libc.close(fd); throw; }
        lock (Lock)
        {
            if (Maps.TryGetValue(key, out var entry))
            {
                Libc.close(fd);
                if (entry.Map.Length != size)
                    throw NetmapException.Create(owner, "mmap", Errno.EFAULT, $"the region memfd holds {size} bytes, its mapping here {entry.Map.Length}");
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
