using System.Buffers.Binary;

namespace Netmap.Tests.Nic.Packet;

/// <summary>Test frames: locally administered MACs, ethertype 0x88B5 (local experimental), a sequence number, a
/// pattern that depends on it (so a byte out of place is seen).</summary>
internal static class PacketFrames
{
    public const ushort EtherType = 0x88B5;

    public static byte[] Make(int seq, int length, ushort etherType = EtherType)
    {
        var f = new byte[length];
        f[0] = 0x02; f[5] = 0x02;   // dst 02:00:00:00:00:02
        f[6] = 0x02; f[11] = 0x01;  // src 02:00:00:00:00:01
        BinaryPrimitives.WriteUInt16BigEndian(f.AsSpan(12), etherType);
        if (length >= 18) BinaryPrimitives.WriteInt32LittleEndian(f.AsSpan(14), seq);
        for (int i = 18; i < length; i++) f[i] = (byte)(seq * 7 + i);
        return f;
    }

    /// <summary>An 802.1Q-tagged frame (TPID 0x8100, <paramref name="tci"/>) carrying a test frame's payload.</summary>
    public static byte[] MakeTagged(int seq, int length, ushort tci)
    {
        var inner = Make(seq, length - 4);
        var f = new byte[length];
        inner.AsSpan(0, 12).CopyTo(f);
        BinaryPrimitives.WriteUInt16BigEndian(f.AsSpan(12), 0x8100);
        BinaryPrimitives.WriteUInt16BigEndian(f.AsSpan(14), tci);
        inner.AsSpan(12).CopyTo(f.AsSpan(16));
        return f;
    }

    public static bool IsTestFrame(ReadOnlySpan<byte> f) => f.Length >= 14 && BinaryPrimitives.ReadUInt16BigEndian(f[12..]) == EtherType;

    public static int Seq(ReadOnlySpan<byte> f) => BinaryPrimitives.ReadInt32LittleEndian(f[14..]);

    /// <summary>Frame lengths that vary between 60 and <paramref name="max"/> by sequence number.</summary>
    public static int LengthOf(int seq, int max = 1514) => 60 + (int)((uint)(seq * 2654435761u) % (uint)(max - 59));
}
