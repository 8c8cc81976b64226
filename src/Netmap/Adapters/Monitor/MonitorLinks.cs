using System.Runtime.CompilerServices;
using Netmap.Rings;

namespace Netmap.Adapters.Monitor;

/// <summary>
/// The monitor link table of a kring (<see cref="KringState.MonitorCount"/> and the entries from
/// <see cref="KringState.MonitorLink0"/>): which monitor rings the syncs of that ring feed.
/// Design: only the engine writes a table (under the engine lock), with single 4-byte stores that each leave a
/// consistent table behind, so syncs in any process read it without a lock: an entry is added into a hole or
/// appended (entry first, then the count, released), removed by emptying it, and a zero-copy successor replaces
/// its predecessor in place (a chain is never cut). Trailing empty entries are trimmed, so a table without
/// monitors has count 0 again. Readers validate each entry (<see cref="MonitorGeometry.TryResolve"/>).
/// </summary>
internal static class MonitorLinks
{
    private const uint RingMask = 0x00FF_FFFF;

    public static uint Encode(MonitorLinkKind kind, uint ringIndex) => (uint)kind << 24 | ringIndex & RingMask;

    public static MonitorLinkKind KindOf(uint entry) => (MonitorLinkKind)(entry >> 24);

    public static uint RingOf(uint entry) => entry & RingMask;

    /// <summary>Entry <paramref name="i"/> (&lt; <see cref="KringState.MaxMonitorLinks"/>, unchecked).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ref uint Entry(ref KringState ks, int i) => ref Unsafe.Add(ref ks.MonitorLink0, i);

    /// <summary>The count as a reader may use it (bounded: the table is shared memory).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Count(ref KringState ks) => (int)Math.Min(Volatile.Read(ref ks.MonitorCount), (uint)KringState.MaxMonitorLinks);

    /// <summary>Makes the table hold exactly <paramref name="desired"/> (at most <see cref="KringState.MaxMonitorLinks"/>
    /// distinct entries), with the store order described on the class. Entries the engine did not write (a client
    /// scribbled on the table) are emptied.</summary>
    public static void Apply(ref KringState ks, ReadOnlySpan<uint> desired)
    {
        const int max = KringState.MaxMonitorLinks;
        int count = (int)Math.Min(ks.MonitorCount, (uint)max);
        uint newZeroCopy = 0;
        foreach (uint d in desired)
            if (KindOf(d) == MonitorLinkKind.ZeroCopy && IndexOf(ref ks, count, d) < 0) newZeroCopy = d;
        for (int i = 0; i < count; i++)
        {
            uint e = Entry(ref ks, i);
            if (e == 0 || desired.Contains(e) && IndexOf(ref ks, i, e) < 0) continue; // keep the first copy of a wanted entry
            if (KindOf(e) == MonitorLinkKind.ZeroCopy && newZeroCopy != 0)
            {
                Volatile.Write(ref Entry(ref ks, i), newZeroCopy); // the chain's new member takes its predecessor's place
                newZeroCopy = 0;
            }
            else Volatile.Write(ref Entry(ref ks, i), 0);
        }
        foreach (uint d in desired)
        {
            if (IndexOf(ref ks, count, d) >= 0) continue;
            int hole = IndexOf(ref ks, count, 0);
            if (hole >= 0) { Volatile.Write(ref Entry(ref ks, hole), d); continue; }
            if (count == max) continue; // cannot happen: the engine checks capacity before linking
            Entry(ref ks, count) = d;
            Volatile.Write(ref ks.MonitorCount, (uint)++count); // entry first, then the count that exposes it
        }
        while (count > 0 && Entry(ref ks, count - 1) == 0) count--;
        for (int i = count; i < max; i++) Entry(ref ks, i) = 0;
        Volatile.Write(ref ks.MonitorCount, (uint)count);
    }

    /// <summary>Empties the table (count first: readers then stop looking at the entries).</summary>
    public static void Clear(ref KringState ks)
    {
        Volatile.Write(ref ks.MonitorCount, 0);
        for (int i = 0; i < KringState.MaxMonitorLinks; i++) Volatile.Write(ref Entry(ref ks, i), 0);
    }

    private static int IndexOf(ref KringState ks, int count, uint value)
    {
        for (int i = 0; i < count; i++)
            if (Entry(ref ks, i) == value) return i;
        return -1;
    }
}
