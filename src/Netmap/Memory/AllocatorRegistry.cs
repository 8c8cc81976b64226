using Netmap.Abi;

namespace Netmap.Memory;

/// <summary>
/// The engine's table of allocators by mem_id: the global allocator (id 1, created on first use) and private
/// ones, whose ids are the next unused id after the most recently assigned one (u16, wrapping, 0 skipped).
/// </summary>
internal sealed class AllocatorRegistry : IDisposable
{
    private readonly Dictionary<ushort, MemoryRegion> _regions = new();
    private ushort _lastAssigned = NetmapConstants.GlobalMemId;

    public AllocatorRegistry(AllocatorParameters? globalParameters = null)
        => GlobalParameters = globalParameters ?? AllocatorParameters.GlobalDefaults;

    public AllocatorParameters GlobalParameters { get; }

    public IEnumerable<MemoryRegion> Regions => _regions.Values;

    public bool TryGet(ushort memId, out MemoryRegion region)
    {
        if (memId == NetmapConstants.GlobalMemId) { region = Global; return true; }
        return _regions.TryGetValue(memId, out region!);
    }

    public MemoryRegion Global
    {
        get
        {
            if (!_regions.TryGetValue(NetmapConstants.GlobalMemId, out var g))
            {
                g = MemoryRegion.Create(NetmapConstants.GlobalMemId, GlobalParameters, isGlobal: true);
                _regions.Add(NetmapConstants.GlobalMemId, g);
            }
            return g;
        }
    }

    public MemoryRegion CreatePrivate(AllocatorParameters p)
    {
        ushort id = _lastAssigned;
        for (int tries = 0; tries < ushort.MaxValue; tries++)
        {
            id = (ushort)(id + 1);
            if (id == 0 || id == NetmapConstants.GlobalMemId) continue;
            if (_regions.ContainsKey(id)) continue;
            var region = MemoryRegion.Create(id, p, isGlobal: false);
            _regions.Add(id, region);
            _lastAssigned = id;
            return region;
        }
        throw NetmapException.Create("allocator", "create", Errno.ENOMEM, "no free mem_id");
    }

    /// <summary>Drops one user; a private region with no users is unmapped and its id freed.</summary>
    public void Release(MemoryRegion region)
    {
        region.Users--;
        if (region.Users <= 0 && !region.IsGlobal && _regions.Remove(region.MemId)) region.Dispose();
    }

    public void Dispose()
    {
        foreach (var r in _regions.Values) r.Dispose();
        _regions.Clear();
    }
}
