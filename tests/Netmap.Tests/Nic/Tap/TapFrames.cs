using System.Buffers.Binary;

namespace Netmap.Tests.Nic.Tap;

/// <summary>Ethernet frames for the TAP tests: ARP requests and ICMP echo requests, and checks of the answers.</summary>
internal static class TapFrames
{
    public static readonly byte[] OurMac = [0x02, 0x00, 0x5e, 0x10, 0x00, 0x02];

    /// <summary>Broadcast ARP request from <paramref name="senderIp"/> (at <see cref="OurMac"/>) asking for <paramref name="targetIp"/>, padded to 60 bytes.</summary>
    public static byte[] ArpRequest(byte[] senderIp, byte[] targetIp)
    {
        var f = new byte[60];
        f.AsSpan(0, 6).Fill(0xff);
        OurMac.CopyTo(f, 6);
        BinaryPrimitives.WriteUInt16BigEndian(f.AsSpan(12), 0x0806);
        BinaryPrimitives.WriteUInt16BigEndian(f.AsSpan(14), 1);      // Ethernet
        BinaryPrimitives.WriteUInt16BigEndian(f.AsSpan(16), 0x0800); // IPv4
        f[18] = 6; f[19] = 4;
        BinaryPrimitives.WriteUInt16BigEndian(f.AsSpan(20), 1);      // request
        OurMac.CopyTo(f, 22);
        senderIp.CopyTo(f, 28);
        targetIp.CopyTo(f, 38);
        return f;
    }

    /// <summary>True for an ARP reply telling us (<see cref="OurMac"/>) where <paramref name="ip"/> is; the sender MAC comes out.</summary>
    public static bool IsArpReply(byte[] f, byte[] ip, out byte[] mac)
    {
        mac = f.Length >= 42 ? f[22..28] : [];
        return f.Length >= 42 && BinaryPrimitives.ReadUInt16BigEndian(f.AsSpan(12)) == 0x0806
            && BinaryPrimitives.ReadUInt16BigEndian(f.AsSpan(20)) == 2
            && f.AsSpan(28, 4).SequenceEqual(ip) && f.AsSpan(32, 6).SequenceEqual(OurMac) && f.AsSpan(0, 6).SequenceEqual(OurMac);
    }

    /// <summary>ICMP echo request of <paramref name="frameLength"/> bytes in all, payload bytes = (byte)offset.</summary>
    public static byte[] EchoRequest(byte[] dstMac, byte[] srcIp, byte[] dstIp, ushort id, ushort seq, int frameLength = 98)
    {
        var f = new byte[frameLength];
        dstMac.CopyTo(f, 0);
        OurMac.CopyTo(f, 6);
        BinaryPrimitives.WriteUInt16BigEndian(f.AsSpan(12), 0x0800);
        var ip = f.AsSpan(14);
        ip[0] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(ip[2..], (ushort)(frameLength - 14));
        BinaryPrimitives.WriteUInt16BigEndian(ip[4..], seq);
        ip[6] = 0x40; // DF
        ip[8] = 64; ip[9] = 1;
        srcIp.CopyTo(ip[12..]);
        dstIp.CopyTo(ip[16..]);
        BinaryPrimitives.WriteUInt16BigEndian(ip[10..], Checksum(ip[..20]));
        var icmp = f.AsSpan(34);
        icmp[0] = 8;
        BinaryPrimitives.WriteUInt16BigEndian(icmp[4..], id);
        BinaryPrimitives.WriteUInt16BigEndian(icmp[6..], seq);
        for (int i = 8; i < icmp.Length; i++) icmp[i] = (byte)i;
        BinaryPrimitives.WriteUInt16BigEndian(icmp[2..], Checksum(icmp));
        return f;
    }

    /// <summary>True for the echo reply to (<paramref name="id"/>, <paramref name="seq"/>) from <paramref name="fromIp"/>.</summary>
    public static bool IsEchoReply(byte[] f, byte[] fromIp, ushort id, ushort seq)
        => f.Length >= 42 && BinaryPrimitives.ReadUInt16BigEndian(f.AsSpan(12)) == 0x0800 && f[23] == 1
           && f.AsSpan(26, 4).SequenceEqual(fromIp) && f[34] == 0
           && BinaryPrimitives.ReadUInt16BigEndian(f.AsSpan(38)) == id && BinaryPrimitives.ReadUInt16BigEndian(f.AsSpan(40)) == seq;

    public static ushort Checksum(ReadOnlySpan<byte> data)
    {
        uint sum = 0;
        for (int i = 0; i + 1 < data.Length; i += 2) sum += BinaryPrimitives.ReadUInt16BigEndian(data[i..]);
        if ((data.Length & 1) != 0) sum += (uint)data[^1] << 8;
        while (sum > 0xffff) sum = (sum & 0xffff) + (sum >> 16);
        return (ushort)~sum;
    }
}
