using System.Collections.Frozen;
using System.Globalization;

namespace Netmap.Samples;

/// <summary>
/// A static forwarding table: destination MAC address, or (MAC address, 802.1Q VLAN id), to a switch port index,
/// plus what to do with destinations it does not list. Immutable once built, so any number of forwarding threads
/// may read it at once; <see cref="Decide"/> allocates nothing.
/// <para>Text form (<see cref="Parse"/>), one entry per line, '#' starts a comment, fields separated by blanks:</para>
/// <code>
/// # MAC               [VLAN] PORT
/// 02:00:00:00:00:01          0        # untagged frames to 02:..:01 go to port index 0
/// 02:00:00:00:00:02   10     1        # frames tagged with VLAN 10 to 02:..:02 go to port 1
/// ff:ff:ff:ff:ff:ff          flood    # broadcast: every port but the sender
/// 02:00:00:00:00:66          drop
/// default flood                       # unknown destinations (default: drop)
/// </code>
/// PORT is a port index on the switch (0..253: the order in which ports joined, as vale-ctl lists them), or
/// <c>flood</c>, or <c>drop</c>. MAC is six hex bytes separated by ':' or '-'; VLAN is 0..4095.
/// </summary>
public sealed class MacTable
{
    /// <summary>Set in the keys of VLAN entries, so (MAC, VLAN 0) and the untagged MAC are different keys.</summary>
    private const ulong TaggedBit = 1UL << 63;
    private const ulong MacMask = 0xFFFF_FFFF_FFFF;

    private readonly FrozenDictionary<ulong, byte> _entries;
    private readonly byte _unknown;

    /// <summary>Builds a table from <paramref name="entries"/> (keys from <see cref="Key"/>, values port indices or
    /// <see cref="ValeDestination.Broadcast"/>/<see cref="ValeDestination.Drop"/>).</summary>
    public MacTable(IEnumerable<KeyValuePair<ulong, byte>> entries, UnknownDestination unknown)
    {
        _entries = entries.ToFrozenDictionary();
        Unknown = unknown;
        _unknown = unknown == UnknownDestination.Flood ? ValeDestination.Broadcast : ValeDestination.Drop;
    }

    /// <summary>Entries in the table.</summary>
    public int Count => _entries.Count;

    /// <summary>What happens to a destination the table does not list.</summary>
    public UnknownDestination Unknown { get; }

    /// <summary>The key of <paramref name="mac"/> (low 48 bits, first byte on the wire lowest) on VLAN
    /// <paramref name="vlan"/>, or untagged when <paramref name="vlan"/> is negative.</summary>
    public static ulong Key(ulong mac, int vlan) => vlan < 0 ? mac & MacMask : (mac & MacMask) | TaggedBit | (ulong)(vlan & 0xFFF) << 48;

    /// <summary>Where a frame to <paramref name="mac"/> goes: a port index, <see cref="ValeDestination.Broadcast"/>
    /// or <see cref="ValeDestination.Drop"/>. <paramref name="vlan"/> is the frame's VLAN id, negative when untagged.</summary>
    public byte Decide(ulong mac, int vlan) => _entries.TryGetValue(Key(mac, vlan), out byte port) ? port : _unknown;

    /// <summary>Reads and parses the table file <paramref name="path"/>.</summary>
    /// <exception cref="FormatException">A line is invalid ("PATH:LINE: cause").</exception>
    /// <exception cref="IOException">The file cannot be read.</exception>
    public static MacTable Load(string path) => Parse(File.ReadAllText(path), path);

    /// <summary>Parses the text form (see the type's summary); <paramref name="source"/> names it in errors.</summary>
    /// <exception cref="FormatException">A line is invalid: "SOURCE:LINE: cause".</exception>
    public static MacTable Parse(string text, string source = "table")
    {
        var entries = new Dictionary<ulong, byte>();
        var lineOf = new Dictionary<ulong, int>();
        UnknownDestination? unknown = null;
        int defaultLine = 0;
        var lines = text.Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            int number = i + 1;
            string line = lines[i];
            int hash = line.IndexOf('#');
            if (hash >= 0) line = line[..hash];
            var f = line.Split([' ', '\t', '\r'], StringSplitOptions.RemoveEmptyEntries);
            if (f.Length == 0) continue;
            FormatException Bad(string why) => new($"{source}:{number}: {why}");

            if (f[0].Equals("default", StringComparison.OrdinalIgnoreCase))
            {
                if (f.Length != 2) throw Bad("expected 'default drop' or 'default flood'");
                if (unknown is not null) throw Bad($"a second 'default' line (the first is line {defaultLine})");
                unknown = f[1].ToLowerInvariant() switch
                {
                    "drop" => UnknownDestination.Drop,
                    "flood" => UnknownDestination.Flood,
                    _ => throw Bad($"'default {f[1]}': expected drop or flood"),
                };
                defaultLine = number;
                continue;
            }
            if (f.Length is not (2 or 3)) throw Bad($"expected 'MAC PORT' or 'MAC VLAN PORT', found {f.Length} fields");
            if (!TryParseMac(f[0], out ulong mac)) throw Bad($"'{f[0]}' is not a MAC address (six hex bytes, e.g. 02:00:00:00:00:01)");
            int vlan = -1;
            if (f.Length == 3 && (!int.TryParse(f[1], NumberStyles.None, CultureInfo.InvariantCulture, out vlan) || vlan > 4095))
                throw Bad($"'{f[1]}' is not a VLAN id (0..4095)");
            string p = f[^1];
            byte port;
            if (p.Equals("drop", StringComparison.OrdinalIgnoreCase)) port = ValeDestination.Drop;
            else if (p.Equals("flood", StringComparison.OrdinalIgnoreCase)) port = ValeDestination.Broadcast;
            else if (!byte.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out port) || port >= ValeDestination.Broadcast)
                throw Bad($"'{p}' is not a port index (0..{ValeDestination.Broadcast - 1}), 'flood' or 'drop'");
            ulong key = Key(mac, vlan);
            if (lineOf.TryGetValue(key, out int first))
                throw Bad($"{f[0]}{(vlan >= 0 ? $" VLAN {vlan}" : "")} is already listed on line {first}");
            entries[key] = port;
            lineOf[key] = number;
        }
        return new MacTable(entries, unknown ?? UnknownDestination.Drop);
    }

    /// <summary>Parses "02:00:00:00:00:01" (or with '-') into the table's MAC form: first byte lowest.</summary>
    public static bool TryParseMac(string s, out ulong mac)
    {
        mac = 0;
        if (s.Length != 17) return false;
        for (int b = 0; b < 6; b++)
        {
            if (b > 0 && s[b * 3 - 1] is not (':' or '-')) return false;
            if (!byte.TryParse(s.AsSpan(b * 3, 2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out byte v)) return false;
            mac |= (ulong)v << (8 * b);
        }
        return true;
    }
}
