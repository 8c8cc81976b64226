using System.Runtime.CompilerServices;

namespace Netmap.Rings;

/// <summary>netmap's index arithmetic for rings of any size (not only powers of two).</summary>
internal static class RingMath
{
    /// <summary>nm_ring_next.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint Next(uint i, uint n) => i + 1 == n ? 0 : i + 1;

    /// <summary>(i + k) mod n for i &lt; n, k &lt;= n.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint Add(uint i, uint k, uint n) { uint r = i + k; return r >= n ? r - n : r; }

    /// <summary>Slots from <paramref name="from"/> to <paramref name="to"/> going forward (nm_ring_space style).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint Distance(uint from, uint to, uint n) => to >= from ? to - from : to + n - from;

    /// <summary>(i - 1) mod n.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static uint Prev(uint i, uint n) => i == 0 ? n - 1 : i - 1;

    /// <summary>True when <paramref name="x"/> lies in the circular interval [<paramref name="lo"/>, <paramref name="hi"/>].</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool InClosedRange(uint x, uint lo, uint hi)
        => hi >= lo ? x >= lo && x <= hi : x >= lo || x <= hi;
}
