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

    /// <summary>What regions (and the objects in them) cost, per user and in all.</summary>
    public ResourceQuota Quota { get; } = new();

    /// <summary>The global allocator if something made it already (it is created on first use).</summary>
    public MemoryRegion? GlobalIfCreated => _regions.GetValueOrDefault(NetmapConstants.GlobalMemId);

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
                // Made for everyone: counted in the engine's total, against no user.
                var charge = ChargeFor(null, GlobalParameters, isGlobal: true, $"mem_id {NetmapConstants.GlobalMemId}", "create");
                try { g = MemoryRegion.Create(NetmapConstants.GlobalMemId, GlobalParameters, isGlobal: true); }
                catch { charge.Dispose(); throw; }
                g.Charge = charge;
                _regions.Add(NetmapConstants.GlobalMemId, g);
            }
            return g;
        }
    }

    /// <summary>A new private region owned by and charged to <paramref name="creator"/> (null: nobody's, open to all:
    /// tests), charged before it is made: ENOMEM naming <paramref name="obj"/> and the limit when it would exceed one.</summary>
    public MemoryRegion CreatePrivate(AllocatorParameters p, AccessCaller? creator = null, string obj = "allocator", string op = "REGISTER")
    {
        ushort id = _lastAssigned;
        for (int tries = 0; tries < ushort.MaxValue; tries++)
        {
            id = (ushort)(id + 1);
            if (id == 0 || id == NetmapConstants.GlobalMemId) continue;
            if (_regions.ContainsKey(id)) continue;
            var charge = ChargeFor(creator?.Uid, p, isGlobal: false, obj, op);
            MemoryRegion region;
            try { region = MemoryRegion.Create(id, p, isGlobal: false); }
            catch { charge.Dispose(); throw; }
            region.Charge = charge;
            region.Access = creator?.NewObject() ?? ObjectAccess.Everyone;
            _regions.Add(id, region);
            _lastAssigned = id;
            return region;
        }
        throw NetmapException.Create("allocator", "create", Errno.ENOMEM, "no free mem_id");
    }

    private ResourceCharge ChargeFor(uint? uid, AllocatorParameters p, bool isGlobal, string obj, string op)
    {
        var (_, fileSize) = MemoryRegion.Measure(p, isGlobal, obj);
        var charge = Quota.Open(uid);
        try
        {
            charge.Add(ResourceKind.Regions, 1, obj, op)
                  .Add(ResourceKind.Memory, fileSize, obj, op)
                  .Add(ResourceKind.Descriptors, 1, obj, op);
        }
        catch { charge.Dispose(); throw; }
        return charge;
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
