using System.Runtime.CompilerServices;

namespace Netmap.Api;

/// <summary>
/// Keeps a port's resources (mapping, descriptors, registration) alive while calls use them. Design: one word; bit 30
/// says the port is closing, the bits below count calls in progress. A call does one atomic increment and tests the
/// bit (<see cref="TryEnter"/>), and one atomic decrement when it leaves: two locked instructions on a line that
/// stays in the calling thread's cache, no lock, no allocation. Dispose sets the bit (<see cref="Close"/>): from then
/// on every call is refused, and Dispose waits (<see cref="WaitIdle"/>) for the calls that entered before the bit, so
/// nothing is unmapped or closed under them. The increment and the bit live in the same word, so a call either sees
/// the bit or is counted before Dispose looks: there is no window in between.
/// Mutable struct: keep it a field and never copy it.
/// </summary>
internal struct CallGate
{
    private const int ClosingBit = 1 << 30;
    private const int CountMask = ClosingBit - 1;

    private int _word;

    /// <summary>True once <see cref="Close"/> was called.</summary>
    public readonly bool IsClosing
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => (Volatile.Read(ref Unsafe.AsRef(in _word)) & ClosingBit) != 0;
    }

    /// <summary>Counts a call in; false (and nothing counted) when the gate is closing.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TryEnter()
    {
        if ((Interlocked.Increment(ref _word) & ClosingBit) == 0) return true;
        Interlocked.Decrement(ref _word);
        return false;
    }

    /// <summary>Counts a call out (once per successful <see cref="TryEnter"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Exit() => Interlocked.Decrement(ref _word);

    /// <summary>Refuses every later call. True for the first caller only.</summary>
    public bool Close() => (Interlocked.Or(ref _word, ClosingBit) & ClosingBit) == 0;

    /// <summary>Calls in progress (diagnostics and tests).</summary>
    public readonly int InFlight => Volatile.Read(ref Unsafe.AsRef(in _word)) & CountMask;

    /// <summary>After <see cref="Close"/>: waits until at most <paramref name="allowed"/> calls are in progress (those
    /// of the calling thread itself, which cannot leave while it waits).</summary>
    public void WaitIdle(int allowed = 0)
    {
        var spin = new SpinWait();
        while ((Volatile.Read(ref _word) & CountMask) > allowed) spin.SpinOnce(sleep1Threshold: 30);
    }
}
