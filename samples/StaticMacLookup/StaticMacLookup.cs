using System.Buffers.Binary;

namespace Netmap.Samples;

/// <summary>
/// A VALE lookup that forwards by a static <see cref="MacTable"/> instead of learning: frames tagged 802.1Q
/// (ethertype 0x8100 at bytes 12..13) are matched by (destination MAC, VLAN id), untagged ones by destination MAC;
/// anything else is dropped or flooded as the table's <c>default</c> line says. A tagged frame too short to hold
/// its tag (under 18 bytes) is dropped.
/// <para>
/// For netmapd: <c>netmapd --vale-lookup vale1=/path/StaticMacLookup.dll:Netmap.Samples.StaticMacLookup:/path/table</c>
/// (the string constructor receives the table path). Embedded: <c>engine.SetValeLookup("vale1", new StaticMacLookup(path))</c>.
/// </para>
/// Thread-safe (the table never changes) and allocation-free per frame. The destination ring is left as it is.
/// </summary>
public sealed class StaticMacLookup : IValeLookup
{
    private const ulong MacMask = 0xFFFF_FFFF_FFFF;
    private const ushort EtherTypeVlan = 0x8100;
    private const int TaggedHeaderLength = 18; // 14 + the 4-byte 802.1Q tag

    /// <summary>Loads the table file <paramref name="tablePath"/> (see <see cref="MacTable"/> for its form).</summary>
    /// <exception cref="FormatException">A line of the file is invalid ("PATH:LINE: cause").</exception>
    /// <exception cref="IOException">The file cannot be read.</exception>
    public StaticMacLookup(string tablePath) : this(MacTable.Load(tablePath)) { }

    /// <summary>Forwards by <paramref name="table"/>.</summary>
    public StaticMacLookup(MacTable table) => Table = table;

    /// <summary>The table in use.</summary>
    public MacTable Table { get; }

    /// <inheritdoc/>
    public byte Lookup(ReadOnlySpan<byte> frame, byte sourcePort, ref byte destinationRing)
    {
        // The switch never passes fewer than 14 bytes; check anyway, the interface is public.
        if (frame.Length < 14) return ValeDestination.Drop;
        ulong dmac = BinaryPrimitives.ReadUInt64LittleEndian(frame) & MacMask;
        int vlan = -1;
        if (BinaryPrimitives.ReadUInt16BigEndian(frame[12..]) == EtherTypeVlan)
        {
            if (frame.Length < TaggedHeaderLength) return ValeDestination.Drop;
            vlan = BinaryPrimitives.ReadUInt16BigEndian(frame[14..]) & 0x0FFF;
        }
        return Table.Decide(dmac, vlan);
    }
}
