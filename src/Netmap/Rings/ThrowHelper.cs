using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace Netmap.Rings;

/// <summary>Cold throw paths kept out of the hot methods.</summary>
internal static class ThrowHelper
{
    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    public static void SlotOutOfRange(uint index, uint n)
        => throw new ArgumentOutOfRangeException(nameof(index), index, $"slot index must be < num_slots ({n})");

    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    public static void BufferOutOfRange(uint index, uint n)
        => throw new ArgumentOutOfRangeException(nameof(index), index, $"buffer index must be < {n}");
}
