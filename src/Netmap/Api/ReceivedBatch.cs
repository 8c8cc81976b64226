using Netmap.Api;

namespace Netmap;

/// <summary>
/// The frames one <see cref="NetmapPort.ReceiveAsync"/> step hands out: the received slots of one RX ring, in order,
/// still in the ring (no copy). A plain struct, so it may be kept across an <c>await</c> inside the loop body; the
/// spans it gives are taken on demand and never cross an await themselves.
/// <para>Lifetime: the batch is lent until the enumeration moves on (the next iteration of <c>await foreach</c>) or
/// ends; its slots then go back to the ring (and to the sender with the next sync). Using it after that throws
/// <see cref="InvalidOperationException"/>, after the port's Dispose <see cref="ObjectDisposedException"/>; copy what
/// must live longer. A span taken from it must not be used past the iteration either.</para>
/// <para>Each element is one slot: a frame longer than a buffer arrives as several slots, all but the last flagged
/// <see cref="SlotFlags.MoreFragments"/> (<see cref="GetFlags"/>).</para>
/// </summary>
public readonly partial struct ReceivedBatch
{
    private readonly PortReceiver? _owner;
    private readonly NetmapRing? _ring;
    private readonly uint _head;
    private readonly int _count;
    private readonly int _lease;

    internal ReceivedBatch(PortReceiver owner, NetmapRing ring, uint head, int count, int lease)
    {
        _owner = owner; _ring = ring; _head = head; _count = count; _lease = lease;
    }

    /// <summary>Slots in the batch (at least 1 for a batch the enumeration gave).</summary>
    public int Count => _count;

    /// <summary>The bytes of slot <paramref name="index"/> (its length, clamped to the buffer; empty for a slot whose
    /// buffer index is invalid).</summary>
    public ReadOnlySpan<byte> this[int index]
    {
        get
        {
            // The slot's index and length are read once (a peer may write them): an invalid index gives an empty span.
            _ring!.TryGetPayload(SlotAt(index), out var payload);
            return payload;
        }
    }

    /// <summary>The flags of slot <paramref name="index"/> (<see cref="SlotFlags.MoreFragments"/>: the frame goes on
    /// in the next slot).</summary>
    public SlotFlags GetFlags(int index) => SlotAt(index).Flags;

    /// <summary>Enumerates the slots' bytes (<c>foreach (var frame in batch)</c>).</summary>
    public Enumerator GetEnumerator()
    {
        Validate();
        return new Enumerator(this);
    }

    private ref NetmapSlot SlotAt(int index)
    {
        Validate();
        if ((uint)index >= (uint)_count) throw new ArgumentOutOfRangeException(nameof(index), index, $"the batch has {_count} slots");
        var ring = _ring!;
        uint i = _head + (uint)index;
        if (i >= ring.NumSlots) i -= ring.NumSlots;
        return ref ring.Slot(i);
    }

    private void Validate()
    {
        if (_owner is null) throw new InvalidOperationException("an empty ReceivedBatch (default) has no frames");
        _owner.CheckLease(_lease);
    }
}
