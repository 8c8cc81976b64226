using System.Runtime.CompilerServices;
using Netmap.Abi;
using Netmap.Interop;
using Netmap.Rings;

namespace Netmap;

/// <summary>
/// A view of one struct netmap_ring in a mapped region. The geometry (slots, buffer size, where buffer 0 is)
/// is read and validated once, when the view is made, so later writes to the shared header by another process
/// cannot make this view reach outside the region.
/// Ownership: the user owns slots [Head, Tail) and their buffers; Head and Cur are the user's to write,
/// Tail is written by sync. Not thread-safe: one thread per ring.
/// Lifetime: valid until its port is disposed. A view (or a slot ref, a span) used after that reads undefined bytes
/// (the ring may be another port's by then) but never faults: a released region stays mapped to placeholder memory
/// while any view of it is reachable.
/// </summary>
public sealed class NetmapRing
{
    private readonly MappedMemory _mem;
    private readonly long _offset;
    private readonly long _slots;
    private readonly long _buf0;
    private readonly uint _numSlots;
    private readonly uint _bufSize;
    private readonly uint _bufTotal;

    internal NetmapRing(MappedMemory mem, long offset, uint bufTotal, long bufPoolOffset, uint bufObjSize, string owner)
    {
        if (!mem.Contains(offset, NetmapRingHeader.Size))
            throw NetmapException.Create(owner, "ring", Errno.EFAULT, $"ring at offset {offset} outside the region");
        ref var h = ref mem.Ref<NetmapRingHeader>(offset);
        uint n = h.NumSlots;
        if (n < 2 || !mem.Contains(offset, NetmapRingHeader.ObjectSize(n)))
            throw NetmapException.Create(owner, "ring", Errno.EFAULT, $"ring at offset {offset} has {n} slots, outside the region");
        if (offset + h.BufOfs != bufPoolOffset || h.BufferSize != bufObjSize)
            throw NetmapException.Create(owner, "ring", Errno.EFAULT, $"ring at offset {offset}: buf_ofs/nr_buf_size disagree with the region");
        _mem = mem; _offset = offset; _slots = offset + NetmapRingHeader.OffsetOfSlots;
        _buf0 = bufPoolOffset; _numSlots = n; _bufSize = bufObjSize; _bufTotal = bufTotal;
        RingId = h.RingId; IsTx = h.Direction == 1;
    }

    /// <summary>Region offset of this ring.</summary>
    internal long Offset => _offset;
    internal MappedMemory Memory => _mem;

    /// <summary>num_slots.</summary>
    public uint NumSlots => _numSlots;
    /// <summary>nr_buf_size: bytes of every buffer.</summary>
    public uint BufferSize => _bufSize;
    /// <summary>Buffers in the allocator: valid indices are [2, BufferCount).</summary>
    public uint BufferCount => _bufTotal;
    /// <summary>ringid.</summary>
    public ushort RingId { get; }
    /// <summary>True for TX rings.</summary>
    public bool IsTx { get; }

    internal ref NetmapRingHeader Header
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => ref _mem.Ref<NetmapRingHeader>(_offset);
    }

    /// <summary>(u) first slot owned by the user.</summary>
    public uint Head
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)] get => Header.Head;
        [MethodImpl(MethodImplOptions.AggressiveInlining)] set => Header.Head = value;
    }

    /// <summary>(u) wakeup point.</summary>
    public uint Cur
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)] get => Header.Cur;
        [MethodImpl(MethodImplOptions.AggressiveInlining)] set => Header.Cur = value;
    }

    /// <summary>(k) first slot not owned by the user; refreshed by sync.</summary>
    public uint Tail
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)] get => Header.Tail;
        [MethodImpl(MethodImplOptions.AggressiveInlining)] set => Header.Tail = value;
    }

    /// <summary>(u) NR_TIMESTAMP / NR_FORWARD.</summary>
    public RingFlags Flags { get => Header.Flags; set => Header.Flags = value; }

    /// <summary>(k) time of the last rxsync.</summary>
    public DateTime Timestamp
    {
        get
        {
            ref var h = ref Header;
            return DateTime.UnixEpoch.AddTicks(h.TsSec * TimeSpan.TicksPerSecond + h.TsUsec * 10);
        }
    }

    /// <summary>nm_ring_next.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public uint Next(uint i) => i + 1 == _numSlots ? 0 : i + 1;

    /// <summary>nm_ring_space: slots the user owns (tail - head, modulo the ring), from one read of each; 0 when
    /// either is outside the ring (another process scribbled on the header: the next sync repairs it).</summary>
    public uint Space
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => GetSpace(out _);
    }

    /// <summary>
    /// <see cref="Space"/> and the head it counts from, read once each: the safe way to walk the user's slots,
    /// <c>for (k = 0; k &lt; space; k++, head = Next(head))</c> never leaves the ring. 0 (and head 0) when head or
    /// tail is outside the ring.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public uint GetSpace(out uint head)
    {
        ref var h = ref Header;
        uint hd = Volatile.Read(ref h.Head), tail = Volatile.Read(ref h.Tail), n = _numSlots;
        if (hd >= n || tail >= n) { head = 0; return 0; }
        head = hd;
        return tail >= hd ? tail - hd : tail + n - hd;
    }

    /// <summary>nm_ring_empty: head == tail (true as well when either is outside the ring: nothing to take).</summary>
    public bool IsEmpty
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => GetSpace(out _) == 0;
    }

    /// <summary>nm_tx_pending: slots still queued for transmission (next(tail) != head); true as well when either
    /// is outside the ring (unknown until a sync repairs it).</summary>
    public bool HasPendingTx
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get
        {
            ref var h = ref Header;
            uint head = Volatile.Read(ref h.Head), tail = Volatile.Read(ref h.Tail);
            return head >= _numSlots || tail >= _numSlots || Next(tail) != head;
        }
    }

    /// <summary>The slot at <paramref name="index"/>; valid for the life of the port.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ref NetmapSlot Slot(uint index)
    {
        if (index >= _numSlots) ThrowHelper.SlotOutOfRange(index, _numSlots);
        return ref _mem.Ref<NetmapSlot>(_slots + (long)index * NetmapSlot.Size);
    }

    /// <summary>The whole buffer <paramref name="bufferIndex"/> (NETMAP_BUF). Do not keep it past the port's life.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Span<byte> Buffer(uint bufferIndex)
    {
        if (bufferIndex >= _bufTotal) ThrowHelper.BufferOutOfRange(bufferIndex, _bufTotal);
        return _mem.Span(_buf0 + (long)bufferIndex * _bufSize, (int)_bufSize);
    }

    /// <summary>The bytes of <paramref name="slot"/> (its buffer cut to its length, clamped to the buffer size).
    /// Throws for an invalid buffer index; on data paths use <see cref="TryGetPayload"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Span<byte> Payload(in NetmapSlot slot)
    {
        uint len = slot.Length;
        if (len > _bufSize) len = _bufSize;
        return Buffer(slot.BufferIndex)[..(int)len];
    }

    /// <summary>True when <paramref name="bufferIndex"/> is a buffer a slot may legally hold ([2, BufferCount)).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool IsValidBuffer(uint bufferIndex) => bufferIndex >= NetmapConstants.ReservedBuffers && bufferIndex < _bufTotal;

    /// <summary>
    /// The buffer <paramref name="bufferIndex"/>, when it is one a slot may hold ([2, BufferCount)); otherwise false
    /// and an empty span. Never throws: the index usually comes from a slot, which a peer may have written (copy
    /// the slot's index into a local once, then call this with the local).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryGetBuffer(uint bufferIndex, out Span<byte> buffer)
    {
        if (!IsValidBuffer(bufferIndex)) { buffer = default; return false; }
        buffer = _mem.Span(_buf0 + (long)bufferIndex * _bufSize, (int)_bufSize);
        return true;
    }

    /// <summary>
    /// The bytes of <paramref name="slot"/> (its buffer cut to its length, clamped to the buffer size), reading the
    /// slot's index and length once; false and an empty span when the index is not a valid buffer. Never throws.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryGetPayload(in NetmapSlot slot, out Span<byte> payload)
    {
        uint idx = slot.BufferIndex, len = slot.Length;
        if (!TryGetBuffer(idx, out var buffer)) { payload = default; return false; }
        payload = buffer[..(int)(len <= _bufSize ? len : _bufSize)];
        return true;
    }
}
