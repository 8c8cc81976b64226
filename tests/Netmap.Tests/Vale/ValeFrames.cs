using System.Buffers.Binary;
using System.Diagnostics;
using Netmap.Abi;
using Netmap.Api;

namespace Netmap.Tests.Vale;

/// <summary>
/// Frame building and receiving helpers for the VALE tests. MAC addresses are written as <c>ulong</c>s holding the
/// six bytes big-endian (0x02_00_00_00_00_01 is 02:00:00:00:00:01). A frame's "marker" is its ethertype: tests
/// send a broadcast with <see cref="MarkerType"/> after the frames under test and read each receiver up to it,
/// which proves a port got nothing else without sleeping (frames of one TX ring are delivered in order).
/// </summary>
internal static class ValeFrames
{
    public const ushort DataType = 0x88b5;
    public const ushort MarkerType = 0x88b6;
    public const ulong Broadcast = 0xffff_ffff_ffff;

    /// <summary>02:00:00:00:00:<paramref name="last"/> (locally administered unicast).</summary>
    public static ulong Mac(byte last) => 0x02_00_00_00_00_00UL | last;

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

    /// <summary>An Ethernet frame dst, src, ethertype, then <paramref name="tag"/> and a pattern derived from it.</summary>
    public static byte[] Frame(ulong dst, ulong src, int length = 60, ushort type = DataType, byte tag = 0)
    {
        var f = new byte[length];
        if (length >= 6) WriteMac(f, dst);
        if (length >= 12) WriteMac(f.AsSpan(6), src);
        if (length >= 14) BinaryPrimitives.WriteUInt16BigEndian(f.AsSpan(12), type);
        for (int i = 14; i < length; i++) f[i] = (byte)(tag + i * 7);
        return f;
    }

    public static ushort TypeOf(ReadOnlySpan<byte> frame) => frame.Length >= 14 ? BinaryPrimitives.ReadUInt16BigEndian(frame[12..]) : (ushort)0;

    /// <summary>Injects <paramref name="frame"/> and returns when the switch has forwarded it (embedded: in the
    /// TxSync; netmapd: when the worker freed the TX ring), so frames sent later from other ports arrive after it.</summary>
    public static void Send(NetmapPort port, byte[] frame)
    {
        Assert.True(port.Inject(frame), $"{port.Spec.Spec}: no room for a {frame.Length}-byte frame");
        WaitTxDrained(port);
    }

    /// <summary>Sends a broadcast marker from <paramref name="port"/> (source <paramref name="src"/>).</summary>
    public static void SendMarker(NetmapPort port, ulong src, byte tag = 0) => Send(port, Frame(Broadcast, src, 60, MarkerType, tag));

    /// <summary>Every frame <paramref name="port"/> receives up to (not including) the next marker; fails when
    /// no marker arrives within <paramref name="timeoutMs"/>.</summary>
    public static List<byte[]> ReceiveUntilMarker(NetmapPort port, int timeoutMs = 5000)
    {
        var got = new List<byte[]>();
        var sw = Stopwatch.StartNew();
        while (sw.ElapsedMilliseconds < timeoutMs)
        {
            while (port.NextPacket(out var f, out _))
            {
                if (TypeOf(f) == MarkerType) return got;
                got.Add(f.ToArray());
            }
            port.Poll(PollEvents.In, 50);
        }
        Assert.Fail($"{port.Spec.Spec}: no marker within {timeoutMs} ms ({got.Count} frames before)");
        return got;
    }

    /// <summary>Up to <paramref name="expected"/> frames (fewer on timeout).</summary>
    public static List<byte[]> Receive(NetmapPort port, int expected, int timeoutMs = 5000)
    {
        var got = new List<byte[]>();
        var sw = Stopwatch.StartNew();
        while (got.Count < expected && sw.ElapsedMilliseconds < timeoutMs)
        {
            while (got.Count < expected && port.NextPacket(out var f, out _)) got.Add(f.ToArray());
            if (got.Count < expected) port.Poll(PollEvents.In, 50);
        }
        return got;
    }

    /// <summary>Waits (polling every millisecond) until <paramref name="condition"/> holds; false on timeout.</summary>
    public static bool WaitUntil(Func<bool> condition, int timeoutMs = 5000)
    {
        var sw = Stopwatch.StartNew();
        while (!condition())
        {
            if (sw.ElapsedMilliseconds > timeoutMs) return false;
            Thread.Sleep(1);
        }
        return true;
    }

    /// <summary>The switch counters of port <paramref name="name"/> (our VALE_PORT_STATS request).</summary>
    public static NmReqValePortStats Stats(ValeTestHost h, string name) => NetmapControl.ValePortStats(name, h.Host);

    /// <summary>Waits until every frame <paramref name="port"/> queued on its TX rings was taken by the switch
    /// (embedded: at once; netmapd: when the worker forwarded) — each ring's tail is head - 1 again.</summary>
    public static void WaitTxDrained(NetmapPort port, int timeoutMs = 5000)
    {
        var sw = Stopwatch.StartNew();
        while (true)
        {
            port.TxSync();
            bool free = true;
            foreach (var r in port.TxRings) free &= r.Next(r.Tail) == r.Head;
            if (free) return;
            Assert.True(sw.ElapsedMilliseconds < timeoutMs, $"{port.Spec.Spec}: TX ring not drained within {timeoutMs} ms");
            Thread.Sleep(1);
        }
    }
}
