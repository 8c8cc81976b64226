using Netmap.Abi;
using Netmap.Interop;

namespace Netmap.Memory;

/// <summary>
/// Who owns each buffer of one region, in engine-private memory: the only authority on what the engine may free.
/// Slot contents and ni_bufs_head chains live in shared memory, where clients write what they like; they are only
/// ever read here as hints of where an owner's buffers went.
/// <para>
/// Rule. Every buffer is free or has exactly one <see cref="BufferOwner"/>; allocation gives buffers to an owner;
/// nothing else changes ownership except <see cref="Retire"/>. When an owner goes, each buffer it owns that a live
/// owner's ring slot or extra-buffer list names now is transferred to that owner (clients legitimately swap
/// buffers between rings and lists of one region: zero-copy forwarding, NS_BUF_CHANGED), and the rest is freed.
/// So free + owned = usable at all times, nothing is freed that the engine did not hand out, and nothing is freed
/// while a live ring or list holds it (it would have been found there and transferred). Garbage a client writes
/// into its slots or list can only make the retiring owner's buffers move to that client's owner (who frees them
/// when it goes) and never touches buffers of anyone else.
/// </para>
/// <para>
/// Cost: control path only. A retire reads every slot of every live ring of the region and walks every live list
/// (each bounded by what it was granted), then frees by one pass over the owner table: O(slots + buffers of the
/// region). The data path never comes here. Used under the engine lock.
/// </para>
/// </summary>
internal sealed class BufferLedger
{
    private readonly ObjectPool _pool;
    private readonly MappedMemory _mem;
    /// <summary>Owner id of each buffer; 0 = free (and for the reserved buffers 0 and 1).</summary>
    private readonly int[] _owner;
    /// <summary>Owners by id (slot 0 unused); a retired owner's id is reused.</summary>
    private readonly List<BufferOwner?> _owners = [null];
    private readonly Stack<int> _freeIds = new();
    private readonly List<BufferOwner> _live = new();
    private long _owned;

    public BufferLedger(ObjectPool pool, MappedMemory mem)
    {
        _pool = pool;
        _mem = mem;
        _owner = new int[pool.Geometry.ObjTotal];
    }

    /// <summary>Buffers of the pool (reserved ones included).</summary>
    public uint Total => _pool.Geometry.ObjTotal;

    /// <summary>Buffers the engine may hand out: all but the reserved ones.</summary>
    public long Usable => Total - Math.Min(NetmapConstants.ReservedBuffers, Total);

    public long Free => _pool.Free;

    /// <summary>Sum of the live owners' counts (free + owned = usable).</summary>
    public long Owned => _owned;

    public IReadOnlyList<BufferOwner> LiveOwners => _live;

    public BufferOwner CreateOwner(string name)
    {
        int id = _freeIds.Count > 0 ? _freeIds.Pop() : _owners.Count;
        var o = new BufferOwner(id, name);
        if (id == _owners.Count) _owners.Add(o); else _owners[id] = o;
        _live.Add(o);
        return o;
    }

    /// <summary>The owner of buffer <paramref name="index"/>, or null when it is free, reserved or out of range.</summary>
    public BufferOwner? OwnerOf(uint index) => index < _owner.Length && _owner[index] != 0 ? _owners[_owner[index]] : null;

    /// <summary>Gives <paramref name="into"/>.Length buffers to <paramref name="owner"/>, or none (false, nothing changed).</summary>
    public bool TryAllocate(BufferOwner owner, Span<uint> into)
    {
        if (_pool.Free < into.Length) return false;
        int got = AllocateUpTo(owner, into);
        if (got == into.Length) return true;
        for (int i = 0; i < got; i++) Release(owner, into[i]);
        return false;
    }

    /// <summary>Gives up to <paramref name="into"/>.Length buffers to <paramref name="owner"/>, lowest indices first;
    /// returns how many.</summary>
    public int AllocateUpTo(BufferOwner owner, Span<uint> into)
    {
        if (!owner.Live) throw new InvalidOperationException($"{owner.Name}: allocating for a retired buffer owner");
        int n = 0;
        while (n < into.Length && _pool.TryAllocate(out uint b))
        {
            _owner[b] = owner.Id;
            into[n++] = b;
        }
        owner.Count += n;
        _owned += n;
        return n;
    }

    private void Release(BufferOwner owner, uint b)
    {
        _owner[b] = 0;
        _pool.Release(b);
        owner.Count--;
        _owned--;
    }

    /// <summary>
    /// <paramref name="owner"/> goes. (1) Each buffer it owns that a live owner's ring or list names now moves to that
    /// owner, the others are freed. (2) A buffer of another owner X that only <paramref name="owner"/>'s rings or list
    /// named is what a zero-copy swap left there in exchange for one that moved to X in (1): it is freed, as netmap
    /// frees what a closing ring holds, but at most as many of X's as X received in (1) — so a leaving owner that names
    /// someone's buffers (garbage, or buffers that owner keeps elsewhere) cannot make them freed — and never one that
    /// any live ring or list names. Afterwards the owner holds nothing and is no longer searched. Returns how many
    /// buffers moved and how many were freed.
    /// </summary>
    public (long Moved, long Freed) Retire(BufferOwner owner)
    {
        if (!owner.Live) return (0, 0);
        owner.Live = false;
        _live.Remove(owner);
        long moved = 0, freed = 0;
        _named ??= new ulong[(_owner.Length + 63) / 64];
        Array.Clear(_named);
        _received.Clear();
        foreach (var holder in _live) moved += Visit(holder, owner, holder);
        // What only the leaving owner held: free it (its own buffers are freed below).
        freed += Visit(owner, null, null);
        for (uint b = 0; b < _owner.Length && owner.Count > 0; b++)
        {
            if (_owner[b] != owner.Id) continue;
            Release(owner, b);
            freed++;
        }
        _owners[owner.Id] = null;
        _freeIds.Push(owner.Id);
        return (moved, freed);
    }

    /// <summary>Bit per buffer: named by a live holder during the current <see cref="Retire"/>.</summary>
    private ulong[]? _named;
    /// <summary>During a <see cref="Retire"/>: how many of the leaving owner's buffers each live owner (by id) received,
    /// so how many of its own the leaving owner's rings may have in exchange.</summary>
    private readonly Dictionary<int, int> _received = new();

    /// <summary>
    /// Reads every buffer index <paramref name="places"/>' rings and list name (shared memory: each entry read once
    /// into a local and range-checked; a list is followed at most its granted length). With a <paramref name="holder"/>:
    /// marks each as named and moves those of <paramref name="leaving"/> to the holder; returns how many moved.
    /// Without: frees each that belongs to a live owner and no live holder named; returns how many.
    /// </summary>
    private long Visit(BufferOwner places, BufferOwner? leaving, BufferOwner? holder)
    {
        long n = 0;
        uint total = Total;
        foreach (var (offset, slots) in places.Rings)
        {
            long slot0 = offset + NetmapRingHeader.OffsetOfSlots;
            for (uint i = 0; i < slots; i++)
            {
                uint b = Volatile.Read(ref _mem.Ref<uint>(slot0 + (long)i * NetmapSlot.Size));
                if (b < total) n += Touch(b, leaving, holder);
            }
        }
        if (places.ListInterface >= 0)
        {
            uint b = Volatile.Read(ref _mem.Ref<NetmapIfHeader>(places.ListInterface).BufsHead);
            for (uint steps = 0; steps < places.ListBound && b >= NetmapConstants.ReservedBuffers && b < total; steps++)
            {
                n += Touch(b, leaving, holder);
                b = Volatile.Read(ref _mem.Ref<uint>(_pool.ObjectOffset(b)));
            }
        }
        return n;
    }

    private int Touch(uint b, BufferOwner? leaving, BufferOwner? holder)
    {
        int id = _owner[b];
        if (id == 0) return 0;
        ref ulong word = ref _named![b >> 6];
        ulong bit = 1UL << (int)(b & 63);
        if (holder is not null)
        {
            word |= bit;
            if (id != leaving!.Id) return 0;
            _received[holder.Id] = _received.GetValueOrDefault(holder.Id) + 1;
            return Move(leaving, holder, b);
        }
        if ((word & bit) != 0) return 0;
        var x = _owners[id]!;
        if (x.Live)
        {
            // Only in exchange for what x received from the leaving owner (the leaving owner's own are freed anyway).
            int credit = _received.GetValueOrDefault(id);
            if (credit == 0) return 0;
            _received[id] = credit - 1;
        }
        Release(x, b);
        return 1;
    }

    private int Move(BufferOwner from, BufferOwner to, uint b)
    {
        _owner[b] = to.Id;
        from.Count--;
        to.Count++;
        return 1;
    }
}
