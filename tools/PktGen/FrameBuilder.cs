using System.Buffers.Binary;
using System.Text;

namespace Netmap.Tools.PktGen;

/// <summary>
/// Builds pkt-gen's frame (initialize_packet): Ethernet II + IPv4 (TOS lowdelay, id 0, DF, TTL 64, valid header
/// checksum) + UDP (valid checksum over the pseudo header) + the payload text repeated, its last byte NUL.
/// Frames shorter than 42 bytes carry the headers cut to the frame length.
/// </summary>
public static class FrameBuilder
{
    public const int EthernetHeaderSize = 14;
    public const int IpHeaderSize = 20;
    public const int UdpHeaderSize = 8;
    /// <summary>Where the UDP payload starts (14 + 20 + 8).</summary>
    public const int PayloadOffset = EthernetHeaderSize + IpHeaderSize + UdpHeaderSize;
    /// <summary>ping: the 32-bit sequence number (little endian) at byte 42, as netmap's ping.</summary>
    public const int PingSequenceOffset = 42;
    /// <summary>ping: the 64-bit send time (Stopwatch nanoseconds, little endian) at byte 46.</summary>
    public const int PingTimestampOffset = 46;
    /// <summary>Smallest frame a ping fits in.</summary>
    public const int PingPayloadEnd = PingTimestampOffset + 8;

    public const ushort EtherTypeIpv4 = 0x0800;
    public const byte IpProtoUdp = 17;
    public const byte IpTosLowDelay = 0x10;
    public const ushort IpDontFragment = 0x4000;
    public const byte IpDefaultTtl = 64;

    /// <summary>netmap's default_payload.</summary>
    public const string DefaultPayload = "netmap pkt-gen DIRECT payload\nhttp://info.iet.unipi.it/~luigi/netmap/ ";

    /// <summary>The frame described by <paramref name="o"/> (-l, -S, -D, -s, -d).</summary>
    public static byte[] Build(PktGenOptions o)
        => Build(o.PacketSize, o.SourceMac, o.DestinationMac, o.Source.Address, o.Source.Port, o.Destination.Address, o.Destination.Port);

    /// <summary>A frame of <paramref name="size"/> bytes (no FCS). Addresses in host byte order.</summary>
    public static byte[] Build(int size, ReadOnlySpan<byte> srcMac, ReadOnlySpan<byte> dstMac, uint srcIp, ushort srcPort, uint dstIp, ushort dstPort)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(size, 1);
        if (srcMac.Length != 6 || dstMac.Length != 6) throw new ArgumentException("MAC addresses are 6 bytes");
        var f = new byte[Math.Max(size, PayloadOffset)];
        var s = f.AsSpan();

        // Payload first (the UDP checksum covers it): the text repeated, the frame's last byte NUL.
        int bodyLen = size - PayloadOffset;
        if (bodyLen > 0)
        {
            var body = s.Slice(PayloadOffset, bodyLen);
            byte[] text = Encoding.ASCII.GetBytes(DefaultPayload);
            for (int i = 0; i < bodyLen; i += text.Length)
                text.AsSpan(0, Math.Min(text.Length, bodyLen - i)).CopyTo(body[i..]);
            body[^1] = 0;
        }

        // Ethernet
        dstMac.CopyTo(s);
        srcMac.CopyTo(s[6..]);
        BinaryPrimitives.WriteUInt16BigEndian(s[12..], EtherTypeIpv4);

        // IPv4
        var ip = s.Slice(EthernetHeaderSize, IpHeaderSize);
        ip[0] = 0x45;
        ip[1] = IpTosLowDelay;
        BinaryPrimitives.WriteUInt16BigEndian(ip[2..], (ushort)Math.Max(size - EthernetHeaderSize, 0));
        BinaryPrimitives.WriteUInt16BigEndian(ip[4..], 0);
        BinaryPrimitives.WriteUInt16BigEndian(ip[6..], IpDontFragment);
        ip[8] = IpDefaultTtl;
        ip[9] = IpProtoUdp;
        BinaryPrimitives.WriteUInt32BigEndian(ip[12..], srcIp);
        BinaryPrimitives.WriteUInt32BigEndian(ip[16..], dstIp);
        BinaryPrimitives.WriteUInt16BigEndian(ip[10..], Complement(Sum(ip)));

        // UDP
        int udpLen = Math.Max(size - EthernetHeaderSize - IpHeaderSize, UdpHeaderSize);
        var udp = s.Slice(EthernetHeaderSize + IpHeaderSize, udpLen);
        BinaryPrimitives.WriteUInt16BigEndian(udp, srcPort);
        BinaryPrimitives.WriteUInt16BigEndian(udp[2..], dstPort);
        BinaryPrimitives.WriteUInt16BigEndian(udp[4..], (ushort)udpLen);
        BinaryPrimitives.WriteUInt16BigEndian(udp[6..], UdpChecksum(ip, udp));

        return size >= f.Length ? f : f[..size];
    }

    /// <summary>The UDP checksum of <paramref name="udp"/> (header with any checksum value + payload) under the
    /// IPv4 header <paramref name="ip"/>'s addresses; 0 is sent as 0xffff (RFC 768).</summary>
    public static ushort UdpChecksum(ReadOnlySpan<byte> ip, ReadOnlySpan<byte> udp)
    {
        uint sum = Sum(ip.Slice(12, 8));           // pseudo header: source and destination address
        sum += IpProtoUdp;                           // zero byte + protocol
        sum += (uint)udp.Length;                     // UDP length
        sum = Sum(udp[..6], sum);                    // header without the checksum field
        sum = Sum(udp[UdpHeaderSize..], sum);        // payload
        ushort c = Complement(sum);
        return c == 0 ? (ushort)0xffff : c;
    }

    /// <summary>One's complement sum of big-endian 16-bit words (odd tail byte = high byte), folded to 16 bits.</summary>
    public static uint Sum(ReadOnlySpan<byte> data, uint sum = 0)
    {
        ulong acc = sum;
        int i = 0;
        for (; i + 1 < data.Length; i += 2) acc += (uint)(data[i] << 8 | data[i + 1]);
        if (i < data.Length) acc += (uint)data[i] << 8;
        while (acc > 0xffff) acc = (acc & 0xffff) + (acc >> 16);
        return (uint)acc;
    }

    /// <summary>~sum folded to 16 bits (netmap's wrapsum before htons).</summary>
    public static ushort Complement(uint sum)
    {
        while (sum > 0xffff) sum = (sum & 0xffff) + (sum >> 16);
        return (ushort)~sum;
    }

    /// <summary>True when the one's complement sum of <paramref name="data"/> is 0xffff (a valid checksummed block).</summary>
    public static bool Verifies(ReadOnlySpan<byte> data, uint initial = 0) => Sum(data, initial) == 0xffff;
}
