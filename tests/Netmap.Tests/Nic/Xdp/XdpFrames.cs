using System.Buffers.Binary;

namespace Netmap.Tests.Nic.Xdp;

/// <summary>Test frames: broadcast, ethertype 0x88b5 (local experimental), a sequence number, then a pattern derived from it.</summary>
internal static class XdpFrames
{
    public const ushort EtherType = 0x88b5;
    public const int EtherTypeNetworkOrder = 0xb588;

    public static byte[] Make(int seq, int length)
    {
        var f = new byte[length];
        f.AsSpan(0, 6).Fill(0xff);
        f[6] = 0x02; f[7] = 0x58; f[8] = 0x44; f[9] = 0x50; f[10] = 0x00; f[11] = 0x01;
        BinaryPrimitives.WriteUInt16BigEndian(f.AsSpan(12), EtherType);
        BinaryPrimitives.WriteInt32BigEndian(f.AsSpan(14), seq);
        for (int i = 18; i < length; i++) f[i] = (byte)(seq * 7 + i);
        return f;
    }

    /// <summary>Length of frame <paramref name="seq"/> in the mixed-size tests: 60 .. 1514 bytes.</summary>
    public static int LengthOf(int seq) => seq % 5 == 0 ? 1514 : 60 + seq * 37 % 1400;

    public static int Sequence(ReadOnlySpan<byte> frame) => BinaryPrimitives.ReadInt32BigEndian(frame[14..]);

    public static bool IsTest(ReadOnlySpan<byte> frame) => frame.Length >= 18 && BinaryPrimitives.ReadUInt16BigEndian(frame[12..]) == EtherType;
}
