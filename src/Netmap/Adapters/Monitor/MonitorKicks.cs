using System.Runtime.CompilerServices;
using Netmap.Interop;

namespace Netmap.Adapters.Monitor;

/// <summary>
/// The kick lines of monitor RX rings that this process can write, by mapping and ring index: filled by an engine
/// for the monitors it owns (keyed by the engine's own mapping, which embedded clients and netmapd's forwarders
/// use). A sync that fills a monitor ring of another process finds nothing here and leaves the monitor's
/// NeedKick armed for netmapd's <see cref="MonitorNotifier"/>.
/// An kick line stays in the table only while the engine keeps it open: the engine removes it, waits until no
/// sync can still hold the number, then closes it.
/// </summary>
internal static class MonitorKicks
{
    private static readonly ConditionalWeakTable<MappedMemory, int[]> s_tables = new();
    private static readonly object s_gate = new();

    /// <summary>Records <paramref name="fd"/> for ring <paramref name="ring"/> of <paramref name="mem"/> (a region of
    /// <paramref name="ringTotal"/> ring objects). Engine lock held.</summary>
    public static void Set(MappedMemory mem, uint ringTotal, uint ring, int fd)
    {
        int[] table;
        lock (s_gate)
        {
            if (!s_tables.TryGetValue(mem, out table!))
            {
                table = new int[ringTotal];
                Array.Fill(table, -1);
                s_tables.Add(mem, table);
            }
        }
        if (ring < (uint)table.Length) Volatile.Write(ref table[ring], fd);
    }

    /// <summary>Forgets the kick line of ring <paramref name="ring"/>.</summary>
    public static void Clear(MappedMemory mem, uint ring)
    {
        if (s_tables.TryGetValue(mem, out var table) && ring < (uint)table.Length) Volatile.Write(ref table[ring], -1);
    }

    /// <summary>The kick line to write for ring <paramref name="ring"/>, when this process has it. Allocation-free.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool TryGet(MappedMemory mem, uint ring, out int fd)
    {
        fd = -1;
        if (!s_tables.TryGetValue(mem, out var table) || ring >= (uint)table.Length) return false;
        fd = Volatile.Read(ref table[ring]);
        return fd >= 0;
    }
}
