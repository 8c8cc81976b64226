using Netmap.Abi;
using Netmap.Rings;

namespace Netmap.Tests.Infrastructure;

/// <summary>Random values in everything of a ring that another process can write. Test helper.</summary>
internal static class SharedGarbage
{
    /// <summary>Random words in every byte of <paramref name="k"/>'s kring record, ring header and slots. The sync lock
    /// is left free three rounds in four (a held lock only makes the sync return at once).</summary>
    public static void Scribble(Kring k, Random rng)
    {
        var mem = k.Ring.Memory;
        uint n = k.NumSlots;
        var ks = mem.Span<uint>(k.StateOffset, KringState.Size / 4);
        for (int i = 0; i < ks.Length; i++) ks[i] = Value(rng, n);
        if (rng.Next(4) != 0) k.State.SyncLock = 0;
        var header = mem.Span<uint>(k.Ring.Offset, NetmapRingHeader.Size / 4);
        for (int i = 0; i < header.Length; i++) header[i] = Value(rng, n);
        var slots = mem.Span<uint>(k.Ring.Offset + NetmapRingHeader.OffsetOfSlots, (int)n * NetmapSlot.Size / 4);
        for (int i = 0; i < slots.Length; i++) slots[i] = Value(rng, k.Ring.BufferCount);
    }

    /// <summary>Frees the lock words garbage left set, once the attack is over (closing would wait for their holder).</summary>
    public static void ReleaseLocks(IEnumerable<Kring> rings)
    {
        foreach (var k in rings) { k.State.SyncLock = 0; k.State.MonitorLock = 0; }
    }

    /// <summary>Half the time a value below <paramref name="limit"/> (an index that passes a range check), else anything.</summary>
    public static uint Value(Random rng, uint limit) => rng.Next(2) == 0 ? (uint)rng.NextInt64(limit) : (uint)rng.NextInt64(1L << 32);
}
