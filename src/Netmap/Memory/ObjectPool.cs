namespace Netmap.Memory;

/// <summary>
/// Engine-private allocation state of one pool: a bitmap, lowest free index first. Lives in the engine's
/// memory, never in the shared region, so a client cannot forge allocations.
/// </summary>
internal sealed class ObjectPool
{
    private readonly ulong[] _used;
    private readonly uint _reserved;
    /// <summary>No bitmap word below this one has a free bit: allocation starts here, so handing out n objects costs
    /// O(n + words) instead of a scan from word 0 each time (a 500k-buffer request was quadratic).</summary>
    private int _firstFreeWord;

    public ObjectPool(PoolGeometry geometry, long offset, uint reserved)
    {
        Geometry = geometry;
        Offset = offset;
        _reserved = reserved;
        _used = new ulong[(geometry.ObjTotal + 63) / 64];
        for (uint i = 0; i < reserved && i < geometry.ObjTotal; i++) Mark(i, true);
        Free = geometry.ObjTotal - Math.Min(reserved, geometry.ObjTotal);
    }

    public PoolGeometry Geometry { get; }

    /// <summary>Byte offset of object 0 in the region.</summary>
    public long Offset { get; }

    public uint Free { get; private set; }

    /// <summary>Frees refused because the object was already free (netmap logs these as double frees).</summary>
    public long DoubleFrees { get; private set; }

    /// <summary>Frees refused because the index was reserved or out of range.</summary>
    public long InvalidFrees { get; private set; }

    public long ObjectOffset(uint index) => Offset + (long)index * Geometry.ObjSize;

    /// <summary>Index of the object at region offset <paramref name="offset"/>, or -1.</summary>
    public long IndexOf(long offset)
    {
        long rel = offset - Offset;
        if (rel < 0 || rel % Geometry.ObjSize != 0) return -1;
        long idx = rel / Geometry.ObjSize;
        return idx < Geometry.ObjTotal ? idx : -1;
    }

    public bool IsAllocated(uint index) => index < Geometry.ObjTotal && (_used[index >> 6] & (1UL << (int)(index & 63))) != 0;

    /// <summary>Lowest free index, or false when the pool is exhausted.</summary>
    public bool TryAllocate(out uint index)
    {
        for (int w = _firstFreeWord; w < _used.Length; w++)
        {
            ulong word = _used[w];
            if (word == ulong.MaxValue) { _firstFreeWord = w + 1; continue; }
            int bit = System.Numerics.BitOperations.TrailingZeroCount(~word);
            uint i = (uint)(w * 64 + bit);
            if (i >= Geometry.ObjTotal) break;
            Mark(i, true);
            Free--;
            index = i;
            return true;
        }
        index = 0;
        return false;
    }

    /// <summary>Frees <paramref name="index"/>; reserved, out-of-range and already-free indices are counted, not freed.</summary>
    public bool Release(uint index)
    {
        if (index < _reserved || index >= Geometry.ObjTotal) { InvalidFrees++; return false; }
        if (!IsAllocated(index)) { DoubleFrees++; return false; }
        Mark(index, false);
        Free++;
        if ((int)(index >> 6) < _firstFreeWord) _firstFreeWord = (int)(index >> 6);
        return true;
    }

    private void Mark(uint i, bool used)
    {
        if (used) _used[i >> 6] |= 1UL << (int)(i & 63);
        else _used[i >> 6] &= ~(1UL << (int)(i & 63));
    }
}
