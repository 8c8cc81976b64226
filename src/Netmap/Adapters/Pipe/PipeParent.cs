using Netmap.Memory;

namespace Netmap.Adapters.Pipe;

/// <summary>
/// The adapter a pipe hangs off ("p" for "p{1"). netmap auto-creates a persistent interface when the parent
/// does not exist; we do the same with a parent that owns a private region sized like a VALE port's
/// (netmap_mem_private_new with npipes = 2), and goes away with its last pipe.
/// </summary>
internal sealed class PipeParent
{
    private readonly Dictionary<string, NetmapPipe> _pipes = new(StringComparer.Ordinal);
    private readonly Action<PipeParent> _onEmpty;

    public PipeParent(string name, MemoryRegion region, uint defaultSlots, ObjectAccess access, Action<PipeParent> onEmpty)
    {
        Name = name; Region = region; DefaultSlots = defaultSlots; Access = access; _onEmpty = onEmpty;
        region.Users++;
    }

    /// <summary>Who made the parent, and who else may make pipes in it (they share its region).</summary>
    public ObjectAccess Access { get; }

    public string Name { get; }
    public MemoryRegion Region { get; }
    /// <summary>Slot count pipes get when the request leaves it 0 (the parent's own slot count).</summary>
    public uint DefaultSlots { get; }
    public int Count => _pipes.Count;

    public bool TryGet(string id, out NetmapPipe pipe) => _pipes.TryGetValue(id, out pipe!);

    public void Add(NetmapPipe pipe) => _pipes.Add(pipe.Id, pipe);

    public void Remove(NetmapPipe pipe)
    {
        _pipes.Remove(pipe.Id);
        if (_pipes.Count == 0) _onEmpty(this);
    }
}
