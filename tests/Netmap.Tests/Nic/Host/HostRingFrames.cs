using System.Buffers.Binary;
using System.Net;

namespace Netmap.Tests.Nic.Host;

/// <summary>ARP and ICMP echo frames for the host ring tests, built and recognised by hand (IPv4, no options).</summary>
internal static class HostRingFrames
{
    public const ushort EtherTypeIpv4 = 0x0800, EtherTypeArp = 0x0806;
    public const ushort ArpRequest = 1, ArpReply = 2;
    public const byte IcmpEchoReply = 0, IcmpEchoRequest = 8;

    /// <summary>A made-up neighbour of the netmap interface: the source of injected frames.</summary>
    public static readonly byte[] FakeMac = [0x02, 0x6e, 0x6d, 0x00, 0x00, 0x99];
    public static readonly IPAddress FakeIp = IPAddress.Parse("10.88.0.99");

    public static byte[] Arp(ushort op, byte[] srcMac, IPAddress senderIp, byte[] dstMac, byte[] targetMac, IPAddress targetIp)
    {
        var f = new byte[60];
        dstMac.CopyTo(f, 0);
        srcMac.CopyTo(f, 6);
        BinaryPrimitives.WriteUInt16BigEndian(f.AsSpan(12), EtherTypeArp);
        BinaryPrimitives.WriteUInt16BigEndian(f.AsSpan(14), 1);      // Ethernet
        BinaryPrimitives.WriteUInt16BigEndian(f.AsSpan(16), 0x0800); // IPv4
        f[18] = 6; f[19] = 4;
        BinaryPrimitives.WriteUInt16BigEndian(f.AsSpan(20), op);
        srcMac.CopyTo(f, 22);
        senderIp.GetAddressBytes().CopyTo(f, 28);
        targetMac.CopyTo(f, 32);
        targetIp.GetAddressBytes().CopyTo(f, 38);
        return f;
    }

    /// <summary>"Who has <paramref name="targetIp"/>? Tell FakeIp", broadcast from FakeMac.</summary>
    public static byte[] ArpWhoHas(IPAddress targetIp)
        => Arp(ArpRequest, FakeMac, FakeIp, [0xff, 0xff, 0xff, 0xff, 0xff, 0xff], new byte[6], targetIp);

    public static byte[] IcmpEcho(byte type, byte[] srcMac, IPAddress src, byte[] dstMac, IPAddress dst, ushort id, ushort seq, int payload = 32)
    {
        var f = new byte[14 + 20 + 8 + payload];
        dstMac.CopyTo(f, 0);
        srcMac.CopyTo(f, 6);
        BinaryPrimitives.WriteUInt16BigEndian(f.AsSpan(12), EtherTypeIpv4);
        var ip = f.AsSpan(14, 20);
        ip[0] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(ip[2..], (ushort)(20 + 8 + payload));
        BinaryPrimitives.WriteUInt16BigEndian(ip[4..], seq);
        ip[8] = 64; ip[9] = 1; // TTL, ICMP
        src.GetAddressBytes().CopyTo(ip[12..]);
        dst.GetAddressBytes().CopyTo(ip[16..]);
        BinaryPrimitives.WriteUInt16BigEndian(ip[10..], Checksum(ip));
        var icmp = f.AsSpan(34);
        icmp[0] = type;
        BinaryPrimitives.WriteUInt16BigEndian(icmp[4..], id);
        BinaryPrimitives.WriteUInt16BigEndian(icmp[6..], seq);
        for (int i = 0; i < payload; i++) icmp[8 + i] = (byte)(i + seq);
        BinaryPrimitives.WriteUInt16BigEndian(icmp[2..], Checksum(icmp));
        return f;
    }

    private static ushort Checksum(ReadOnlySpan<byte> b)
    {
        uint sum = 0;
        for (int i = 0; i + 1 < b.Length; i += 2) sum += BinaryPrimitives.ReadUInt16BigEndian(b[i..]);
        if ((b.Length & 1) != 0) sum += (uint)b[^1] << 8;
        while (sum > 0xffff) sum = (sum & 0xffff) + (sum >> 16);
        return (ushort)~sum;
    }

    public static ushort EtherType(ReadOnlySpan<byte> f) => f.Length >= 14 ? BinaryPrimitives.ReadUInt16BigEndian(f[12..]) : (ushort)0;

    /// <summary>True for an ARP frame with operation <paramref name="op"/>, sender <paramref name="sender"/> and target <paramref name="target"/>.</summary>
    public static bool IsArp(ReadOnlySpan<byte> f, ushort op, IPAddress sender, IPAddress target)
        => f.Length >= 42 && EtherType(f) == EtherTypeArp && BinaryPrimitives.ReadUInt16BigEndian(f[20..]) == op
           && f.Slice(28, 4).SequenceEqual(sender.GetAddressBytes()) && f.Slice(38, 4).SequenceEqual(target.GetAddressBytes());

    /// <summary>True for an ICMP echo frame of <paramref name="type"/> from <paramref name="src"/> to <paramref name="dst"/>.</summary>
    public static bool IsIcmpEcho(ReadOnlySpan<byte> f, byte type, IPAddress src, IPAddress dst)
        => f.Length >= 42 && EtherType(f) == EtherTypeIpv4 && f[23] == 1 && f[34] == type
           && f.Slice(26, 4).SequenceEqual(src.GetAddressBytes()) && f.Slice(30, 4).SequenceEqual(dst.GetAddressBytes());

    public static string Describe(ReadOnlySpan<byte> f) => f.Length < 14 ? $"runt {f.Length}" : $"{f.Length} B type 0x{EtherType(f):x4} {Convert.ToHexString(f[..Math.Min(f.Length, 42)])}";
}
