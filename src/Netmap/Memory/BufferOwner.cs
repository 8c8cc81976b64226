namespace Netmap.Memory;

/// <summary>
/// One party the engine handed buffers of a region to: an adapter's rings (a VALE port, a pipe, a monitor, an
/// interface, a null port) or a registration's extra buffers. Engine-private, created and retired through the
/// region's <see cref="BufferLedger"/>, used under the engine lock.
/// <para>
/// Besides the count, an owner names where its clients may keep buffers of the region: its rings (every slot of
/// each) and at most one extra-buffer list (ni_bufs_head of a netmap_if). When another owner of the region retires,
/// those places are searched for its buffers, which then move to this owner (see <see cref="BufferLedger.Retire"/>).
/// </para>
/// </summary>
internal sealed class BufferOwner
{
    private readonly List<(long Offset, uint Slots)> _rings = new();

    internal BufferOwner(int id, string name) { Id = id; Name = name; }

    /// <summary>Index in the ledger's owner table (never 0: 0 marks a free buffer).</summary>
    internal int Id { get; }

    /// <summary>For diagnostics ("vale0:a", "p{1", "p{1 registration 7 extra buffers").</summary>
    public string Name { get; }

    /// <summary>Buffers the ledger records as this owner's now.</summary>
    public long Count { get; internal set; }

    /// <summary>False once retired: it holds nothing and is no longer searched.</summary>
    public bool Live { get; internal set; } = true;

    /// <summary>Rings whose slots may hold buffers on this owner's behalf (region offset, slot count).</summary>
    internal IReadOnlyList<(long Offset, uint Slots)> Rings => _rings;

    /// <summary>The netmap_if whose ni_bufs_head starts this owner's extra-buffer list (-1 = none), and the most
    /// list entries to follow (what was granted: a list longer than that is not one the engine made).</summary>
    internal long ListInterface { get; private set; } = -1;
    internal uint ListBound { get; private set; }

    /// <summary>Searches the slots of the ring at <paramref name="offset"/> when other owners retire.</summary>
    public void AddRing(long offset, uint slots) => _rings.Add((offset, slots));

    /// <summary>Stops searching the ring at <paramref name="offset"/> (its object is being freed).</summary>
    public void RemoveRing(long offset) => _rings.RemoveAll(r => r.Offset == offset);

    /// <summary>Searches the list starting at ni_bufs_head of the netmap_if at <paramref name="nifpOffset"/>, up to
    /// <paramref name="bound"/> entries.</summary>
    public void SetList(long nifpOffset, uint bound)
    {
        ListInterface = nifpOffset;
        ListBound = bound;
    }

    public override string ToString() => $"{Name} ({Count} buffers)";
}
