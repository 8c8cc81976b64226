using System.Runtime.CompilerServices;
using Netmap.Adapters.Vale;

namespace Netmap;

/// <summary>
/// netmap's MAC hash for the learning table (nm_bridge_rthash): Bob Jenkins' lookup2 mix over the six address
/// bytes, seeded with the golden ratio, reduced to <see cref="Abi.NetmapConstants.BridgeHashSize"/> buckets.
/// </summary>
public static class ValeHash
{
    /// <summary>Bucket of the address in <paramref name="mac"/>[0..6).</summary>
    public static int Bucket(ReadOnlySpan<byte> mac)
    {
        if (mac.Length < 6) throw new ArgumentException("a MAC address has 6 bytes", nameof(mac));
        return Bucket(mac[0] | (ulong)mac[1] << 8 | (ulong)mac[2] << 16 | (ulong)mac[3] << 24 | (ulong)mac[4] << 32 | (ulong)mac[5] << 40);
    }

    /// <summary>Bucket of a MAC address held in the low 48 bits of <paramref name="mac"/>, byte 0 lowest
    /// (what an unaligned little-endian load of the frame's address bytes gives).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Bucket(ulong mac)
    {
        uint a = 0x9e3779b9, b = 0x9e3779b9, c = 0;
        a += (uint)mac;
        b += (uint)(mac >> 32) & 0xffff;
        a -= b; a -= c; a ^= c >> 13;
        b -= c; b -= a; b ^= a << 8;
        c -= a; c -= b; c ^= b >> 13;
        a -= b; a -= c; a ^= c >> 12;
        b -= c; b -= a; b ^= a << 16;
        c -= a; c -= b; c ^= b >> 5;
        a -= b; a -= c; a ^= c >> 3;
        b -= c; b -= a; b ^= a << 10;
        c -= a; c -= b; c ^= b >> 15;
        return (int)(c & (Abi.NetmapConstants.BridgeHashSize - 1));
    }
}
