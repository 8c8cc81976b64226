using System.Buffers.Binary;
using System.Globalization;

namespace Netmap.Tests.Scenarios;

/// <summary>
/// The frames of the VALE scenarios (shared with netmap-testpeer's vale-shell, which compiles this file too):
/// an Ethernet header (dst, src, ethertype <see cref="EtherType"/>), then [u32 tag][u64 seq][u16 length] and a
/// payload derived from tag and seq, so a receiver checks every frame on its own, byte for byte, and follows each
/// sender's sequence. A sender's tag names it; its sequence starts at 0 for every tag.
/// MAC addresses are <c>ulong</c>s holding the six bytes big-endian, written "02:00:00:00:00:0a".
/// </summary>
public static class ValeScenarioFrame
{
    public const ushort EtherType = 0x88B5;
    public const int HeaderSize = 28;
    /// <summary>Shortest frame written (Ethernet's 60 without FCS).</summary>
    public const int MinLength = 60;
    public const ulong Broadcast = 0xFFFF_FFFF_FFFFUL;

    /// <summary>02:00:00:00:hh:ll, a locally administered unicast address.</summary>
    public static ulong Mac(int n) => 0x02_00_00_00_00_00UL | (uint)(n & 0xFFFF);

    public static string FormatMac(ulong mac)
        => string.Join(':', Enumerable.Range(0, 6).Select(i => ((byte)(mac >> (8 * (5 - i)))).ToString("x2", CultureInfo.InvariantCulture)));

    public static ulong ParseMac(string s)
    {
        var parts = s.Split(':');
        if (parts.Length != 6) throw new FormatException($"not a MAC address: {s}");
        ulong m = 0;
        foreach (var p in parts) m = m << 8 | byte.Parse(p, NumberStyles.HexNumber, CultureInfo.InvariantCulture);
        return m;
    }

    /// <summary>Length of frame <paramref name="seq"/>: spread over [<paramref name="min"/>, <paramref name="max"/>].</summary>
    public static int LengthOf(ulong seq, int min, int max)
        => max <= min ? min : min + (int)(seq * 2654435761UL % (ulong)(max - min + 1));

    /// <summary>Writes the frame into <paramref name="buf"/> (at least <paramref name="length"/> bytes); returns its length.</summary>
    public static int Write(Span<byte> buf, ulong dst, ulong src, uint tag, ulong seq, int length)
    {
        if (length < HeaderSize || length > ushort.MaxValue) throw new ArgumentOutOfRangeException(nameof(length));
        WriteMac(buf, dst);
        WriteMac(buf[6..], src);
        BinaryPrimitives.WriteUInt16BigEndian(buf[12..], EtherType);
        BinaryPrimitives.WriteUInt32LittleEndian(buf[14..], tag);
        BinaryPrimitives.WriteUInt64LittleEndian(buf[18..], seq);
        BinaryPrimitives.WriteUInt16LittleEndian(buf[26..], (ushort)length);
        byte b = Seed(tag, seq);
        for (int j = HeaderSize; j < length; j++) buf[j] = (byte)(b + j);
        return length;
    }

    /// <summary>Null when <paramref name="f"/> is a well-formed scenario frame, otherwise what is wrong with it.</summary>
    public static string? Check(ReadOnlySpan<byte> f, out ulong dst, out ulong src, out uint tag, out ulong seq)
    {
        dst = src = seq = 0; tag = 0;
        if (f.Length < HeaderSize) return $"frame of {f.Length} bytes is shorter than the {HeaderSize}-byte header";
        dst = ReadMac(f);
        src = ReadMac(f[6..]);
        ushort type = BinaryPrimitives.ReadUInt16BigEndian(f[12..]);
        tag = BinaryPrimitives.ReadUInt32LittleEndian(f[14..]);
        seq = BinaryPrimitives.ReadUInt64LittleEndian(f[18..]);
        int len = BinaryPrimitives.ReadUInt16LittleEndian(f[26..]);
        if (type != EtherType) return $"ethertype 0x{type:x4}, expected 0x{EtherType:x4}";
        if (len != f.Length) return $"tag {tag} seq {seq}: header says {len} bytes, frame has {f.Length}";
        byte b = Seed(tag, seq);
        for (int j = HeaderSize; j < f.Length; j++)
            if (f[j] != (byte)(b + j)) return $"tag {tag} seq {seq}: byte {j} of {f.Length} is 0x{f[j]:x2}, expected 0x{(byte)(b + j):x2}";
        return null;
    }

    private static byte Seed(uint tag, ulong seq) => (byte)(seq * 13 + tag * 101 + 7);

    public static void WriteMac(Span<byte> to, ulong mac)
    {
        for (int i = 0; i < 6; i++) to[i] = (byte)(mac >> (8 * (5 - i)));
    }

    public static ulong ReadMac(ReadOnlySpan<byte> from)
    {
        ulong m = 0;
        for (int i = 0; i < 6; i++) m = m << 8 | from[i];
        return m;
    }
}
