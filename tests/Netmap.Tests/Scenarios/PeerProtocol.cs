using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace Netmap.Tests.Scenarios;

/// <summary>
/// What the scenario tests and netmap-testpeer (tests/TestPeer, which compiles this file too) agree on: the
/// progress lines, the seeded packet generator, the self-describing stream packets and the extra-buffer pattern.
/// </summary>
public static class PeerProtocol
{
    public const string Ready = "READY";
    public const string Sent = "SENT";          // SENT n checksum
    public const string Received = "RECEIVED";  // RECEIVED n checksum
    public const string Error = "ERROR";        // ERROR errno message (open-expect-error)
    public const string Cpu = "CPU";            // CPU milliseconds (user + system of the peer itself)
    public const string Fail = "FAIL";          // FAIL message (then a non-zero exit)

    /// <summary>Checksum of a byte sequence, word at a time (both sides hash the bytes they actually handled).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static ulong Hash(ulong h, ReadOnlySpan<byte> data)
    {
        int i = 0;
        for (; i + 8 <= data.Length; i += 8)
            h = (h ^ BinaryPrimitives.ReadUInt64LittleEndian(data[i..])) * 0x100000001B3UL;
        for (; i < data.Length; i++) h = (h ^ data[i]) * 0x100000001B3UL;
        return (h ^ (ulong)data.Length) * 0x9E3779B97F4A7C15UL;
    }

    public const ulong HashSeed = 0xCBF29CE484222325UL;

    /// <summary>Byte <paramref name="j"/> of extra-buffer packet <paramref name="i"/>.</summary>
    public static byte Pattern(int i, int j) => (byte)(i * 31 + j * 7 + 0x5A + (j >> 8));

    public static void FillPattern(Span<byte> dst, int i)
    {
        for (int j = 0; j < dst.Length; j++) dst[j] = Pattern(i, j);
    }
}

/// <summary>
/// Deterministic packets: lengths uniform in [1, maxLen], contents from a xorshift64* stream. Two generators
/// with the same seed and maxLen produce the same packet sequence.
/// </summary>
public struct PacketGenerator
{
    private ulong _s;
    private readonly int _maxLen;

    public PacketGenerator(ulong seed, int maxLen)
    {
        if (maxLen < 1) throw new ArgumentOutOfRangeException(nameof(maxLen));
        _s = (seed + 1) * 0x9E3779B97F4A7C15UL ^ 0xD1B54A32D192ED03UL;
        if (_s == 0) _s = 1;
        _maxLen = maxLen;
    }

    public int MaxLength => _maxLen;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ulong NextU64()
    {
        ulong x = _s;
        x ^= x >> 12; x ^= x << 25; x ^= x >> 27;
        _s = x;
        return x * 0x2545F4914F6CDD1DUL;
    }

    /// <summary>Writes the next packet into <paramref name="buf"/> (at least MaxLength bytes) and returns its length.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public int Next(Span<byte> buf)
    {
        int len = 1 + (int)(NextU64() % (ulong)_maxLen);
        var dst = buf[..len];
        int i = 0;
        for (; i + 8 <= len; i += 8) BinaryPrimitives.WriteUInt64LittleEndian(dst[i..], NextU64());
        if (i < len)
        {
            ulong w = NextU64();
            for (; i < len; i++, w >>= 8) dst[i] = (byte)w;
        }
        return len;
    }
}

/// <summary>
/// Stream packets (the "stream" command): [u32 stream id][u32 length][u64 sequence][payload derived from both],
/// so a receiver can check every packet on its own and follow each sender's sequence.
/// </summary>
public static class StreamPacket
{
    public const int HeaderSize = 16;
    public const int MaxLength = 3000;

    public static int LengthOf(ulong seq) => HeaderSize + (int)(seq * 2654435761UL % (MaxLength - HeaderSize + 1));

    public static int Write(Span<byte> buf, uint stream, ulong seq)
    {
        int len = LengthOf(seq);
        BinaryPrimitives.WriteUInt32LittleEndian(buf, stream);
        BinaryPrimitives.WriteUInt32LittleEndian(buf[4..], (uint)len);
        BinaryPrimitives.WriteUInt64LittleEndian(buf[8..], seq);
        byte b = (byte)(seq * 13 + stream * 101);
        for (int j = HeaderSize; j < len; j++) buf[j] = (byte)(b + j);
        return len;
    }

    /// <summary>Null when <paramref name="pkt"/> is a well-formed stream packet, otherwise what is wrong with it.</summary>
    public static string? Check(ReadOnlySpan<byte> pkt, out uint stream, out ulong seq)
    {
        stream = 0; seq = 0;
        if (pkt.Length < HeaderSize) return $"packet of {pkt.Length} bytes is shorter than the header";
        stream = BinaryPrimitives.ReadUInt32LittleEndian(pkt);
        uint len = BinaryPrimitives.ReadUInt32LittleEndian(pkt[4..]);
        seq = BinaryPrimitives.ReadUInt64LittleEndian(pkt[8..]);
        if (len != pkt.Length) return $"stream {stream} seq {seq}: header says {len} bytes, packet has {pkt.Length}";
        if (len != LengthOf(seq)) return $"stream {stream} seq {seq}: length {len}, expected {LengthOf(seq)}";
        byte b = (byte)(seq * 13 + stream * 101);
        for (int j = HeaderSize; j < pkt.Length; j++)
            if (pkt[j] != (byte)(b + j)) return $"stream {stream} seq {seq}: byte {j} is {pkt[j]}, expected {(byte)(b + j)}";
        return null;
    }
}
