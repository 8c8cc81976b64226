using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Text;
using Netmap.Abi;

namespace Netmap.Tools.PktGen;

/// <summary>
/// pkt-gen -f ping / -f pong (ping_body, pong_body). ping writes a 32-bit sequence number at byte 42 and the send
/// time (Stopwatch nanoseconds, 64 bits) at byte 46 of each frame, sends -b frames, waits for the echoes
/// (Poll(In, 3 s), or TxSync then an RxSync spin with --busy) and accumulates round-trip times in log2 buckets;
/// every second it prints "count N RTT: min X av Y ns" and the histogram. pong copies every received frame into
/// the TX ring with the MAC addresses and (for IPv4) the IP addresses swapped.
/// </summary>
public sealed class PingPong
{
    private readonly NetmapPort _port;
    private readonly PktGenOptions _options;
    private readonly Counters _counters;
    private readonly StopSignal _stop;
    private readonly DebugLog _log;
    private readonly double _nsPerTick = 1e9 / Stopwatch.Frequency;

    public PingPong(NetmapPort port, PktGenOptions options, Counters counters, StopSignal stop, DebugLog log)
    {
        _port = port;
        _options = options;
        _counters = counters;
        _stop = stop;
        _log = log;
    }

    /// <summary>Index of the highest bit set (0 for 0), netmap's msb64.</summary>
    public static int Msb64(ulong x) => x == 0 ? 0 : 63 - BitOperations.LeadingZeroCount(x);

    /// <summary>The histogram line: "k: LO .. HI" and the counts of the non-empty range of log2 buckets
    /// (bucket k holds RTTs in [2^k, 2^(k+1)) ns); null when every bucket is empty.</summary>
    public static string? FormatHistogram(ReadOnlySpan<long> buckets)
    {
        int kmin = 0, k = buckets.Length - 1;
        while (kmin < buckets.Length && buckets[kmin] == 0) kmin++;
        if (kmin == buckets.Length) return null;
        while (k > kmin && buckets[k] == 0) k--;
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"k: {1UL << kmin} .. {1UL << k} ns:");
        for (int j = kmin; j <= k; j++) sb.Append(CultureInfo.InvariantCulture, $" {buckets[j],5}");
        return sb.ToString();
    }

    private long NowNs() => (long)(Stopwatch.GetTimestamp() * _nsPerTick);

    /// <summary>ping_body. False on an error.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public bool RunPing(byte[] frame)
    {
        if (_port.TxRings.Count == 0 || _port.RxRings.Count == 0)
        {
            _log.D("ping_body", PktGenLines.PingPoll, $"{_options.Interface} needs a TX and an RX ring");
            return false;
        }
        var tx = _port.TxRings[0];
        var rxRings = _port.RxRings.ToArray(); // once, before the loop: array indexing in the hot path
        var port = _port;
        var counters = _counters;
        var stop = _stop;
        bool busy = _options.Busy;
        ulong n = _options.Count;
        ulong burst = (ulong)_options.Burst;
        int size = frame.Length;
        ushort len = (ushort)size;

        var buckets = new long[64];
        var total = new long[64];
        ulong sent = 0;
        long events = 0;
        long count = 0, tMin = long.MaxValue, av = 0;
        long gCount = 0, gMin = long.MaxValue, gAv = 0;
        long freq = Stopwatch.Frequency;
        long tic = Stopwatch.GetTimestamp();
        long lastPrint = tic;

        while (!stop.IsSet && (n == 0 || sent < n))
        {
            ulong limit = burst;
            if (n > 0 && n - sent < limit) limit = n - sent;
            uint m = 0;
            for (; m < limit; m++)
            {
                if (tx.GetSpace(out uint head) == 0)
                {
                    _log.D("ping_body", PktGenLines.PingNoRoom, "-- ouch, cannot send");
                    break;
                }
                ref var slot = ref tx.Slot(head);
                if (!tx.TryGetBuffer(slot.BufferIndex, out var p))
                {
                    // A buffer index a peer handed back invalid: the slot goes out empty.
                    slot.Length = 0;
                    slot.Flags = SlotFlags.None;
                    counters.BadSlots++;
                    tx.Cur = tx.Head = tx.Next(head);
                    m--;
                    continue;
                }
                frame.AsSpan().CopyTo(p);
                BinaryPrimitives.WriteUInt32LittleEndian(p[FrameBuilder.PingSequenceOffset..], (uint)sent);
                BinaryPrimitives.WriteInt64LittleEndian(p[FrameBuilder.PingTimestampOffset..], NowNs());
                slot.Length = len;
                slot.Flags = SlotFlags.None;
                sent++;
                uint next = tx.Next(head);
                tx.Cur = next;
                tx.Head = next;
            }
            if (m > 0) events++;
            counters.Packets = (long)sent;
            counters.Bytes = (long)sent * size;
            counters.Events = events;
            long sentAt = Stopwatch.GetTimestamp();

            uint rx = 0;
            if (busy)
            {
                port.TxSync();
                while (true)
                {
                    port.RxSync();
                    rx += Collect(rxRings, buckets, ref count, ref tMin, ref av);
                    if (rx >= m || stop.IsSet || Stopwatch.GetTimestamp() - sentAt > 3 * freq) break;
                }
            }
            else
            {
                var ev = stop.Poll(port, PollEvents.In, 3000);
                if (ev == PollEvents.None)
                {
                    if (stop.IsSet) break;
                    _log.D("ping_body", PktGenLines.PingPoll, "poll error on queue 0: timeout" + Transmitter.PeerNote(port));
                    continue;
                }
                rx = Collect(rxRings, buckets, ref count, ref tMin, ref av);
            }

            long now = Stopwatch.GetTimestamp();
            if (now - lastPrint >= freq)
            {
                _log.D("ping_body", PktGenLines.PingCount,
                    string.Create(CultureInfo.InvariantCulture, $"count {count} RTT: min {(count > 0 ? tMin : 0)} av {(count > 0 ? av / count : 0)} ns"));
                string? h = FormatHistogram(buckets);
                if (h is not null) _log.D("ping_body", PktGenLines.PingHistogram, h);
                for (int j = 0; j < 64; j++) { total[j] += buckets[j]; buckets[j] = 0; }
                gCount += count; gAv += av;
                if (tMin < gMin) gMin = tMin;
                count = 0; av = 0; tMin = long.MaxValue;
                lastPrint = now;
            }
        }
        long toc = Stopwatch.GetTimestamp();

        for (int j = 0; j < 64; j++) total[j] += buckets[j];
        gCount += count; gAv += av;
        if (tMin < gMin) gMin = tMin;
        if (sent > 0)
        {
            _log.D("ping_body", PktGenLines.PingTotal,
                string.Create(CultureInfo.InvariantCulture, $"RTT over {sent} packets: min {(gCount > 0 ? gMin : 0)} av {(gCount > 0 ? gAv / gCount : 0)} ns ({gCount} replies)"));
            string? h = FormatHistogram(total);
            if (h is not null) _log.D("ping_body", PktGenLines.PingTotal, h);
        }
        counters.Packets = (long)sent;
        counters.Bytes = (long)sent * size;
        counters.Events = events;
        counters.Seconds = (toc - tic) / (double)Stopwatch.Frequency;
        counters.Completed = true;
        return true;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private uint Collect(NetmapRing[] rxRings, long[] buckets, ref long count, ref long tMin, ref long av)
    {
        uint got = 0;
        for (int i = 0; i < rxRings.Length; i++)
        {
            var ring = rxRings[i];
            // head and tail read once: at most the slots available now, whatever another process writes meanwhile.
            for (uint avail = ring.GetSpace(out uint head); avail > 0; avail--)
            {
                ref var slot = ref ring.Slot(head);
                long now = NowNs();
                if (!ring.TryGetPayload(slot, out var p)) _counters.BadSlots++;
                if (p.Length >= FrameBuilder.PingPayloadEnd)
                {
                    long t = now - BinaryPrimitives.ReadInt64LittleEndian(p[FrameBuilder.PingTimestampOffset..]);
                    if (t < 0) t = 0;
                    if (t < tMin) tMin = t;
                    count++;
                    av += t;
                    buckets[Msb64((ulong)t)]++;
                }
                head = ring.Next(head);
                ring.Cur = head;
                ring.Head = head;
                got++;
            }
        }
        return got;
    }

    /// <summary>pong_body. False on an error.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public bool RunPong()
    {
        if (_port.TxRings.Count == 0 || _port.RxRings.Count == 0)
        {
            _log.D("pong_body", PktGenLines.PongPoll, $"{_options.Interface} needs a TX and an RX ring");
            return false;
        }
        var tx = _port.TxRings[0];
        var rxRings = _port.RxRings.ToArray(); // once, before the loop: array indexing in the hot path
        var port = _port;
        var counters = _counters;
        var stop = _stop;
        bool busy = _options.Busy;
        ulong n = _options.Count;
        ulong sent = 0;
        long bytes = 0, events = 0;
        long tic = Stopwatch.GetTimestamp();

        while (!stop.IsSet && (n == 0 || sent < n))
        {
            if (busy)
            {
                port.RxSync();
            }
            else if (stop.Poll(port, PollEvents.In, 1000) == PollEvents.None)
            {
                if (stop.IsSet) break;
                _log.D("pong_body", PktGenLines.PongPoll, "poll error on queue 0: timeout" + Transmitter.PeerNote(port));
                continue;
            }
            uint txAvail = tx.GetSpace(out uint txHead); // head and tail read once
            ulong before = sent;
            for (int i = 0; i < rxRings.Length; i++)
            {
                var rxRing = rxRings[i];
                for (uint avail = rxRing.GetSpace(out uint head); avail > 0; avail--)
                {
                    ref var slot = ref rxRing.Slot(head);
                    if (!rxRing.TryGetPayload(slot, out var src)) counters.BadSlots++;
                    uint next = rxRing.Next(head);
                    if (txAvail == 0 || (n > 0 && sent >= n))
                    {
                        rxRing.Cur = next;
                        rxRing.Head = head = next;
                        continue;
                    }
                    ref var ts = ref tx.Slot(txHead);
                    if (!tx.TryGetBuffer(ts.BufferIndex, out var dst))
                    {
                        // An invalid buffer handed back by the peer: that TX slot goes out empty, the frame is dropped.
                        ts.Length = 0;
                        ts.Flags = SlotFlags.None;
                        counters.BadSlots++;
                        rxRing.Cur = next;
                        rxRing.Head = head = next;
                        txHead = tx.Next(txHead);
                        txAvail--;
                        continue;
                    }
                    int len = Math.Min(src.Length, dst.Length);
                    src[..len].CopyTo(dst);
                    Echo(src[..len], dst);
                    rxRing.Cur = next;
                    rxRing.Head = head = next;
                    ts.Length = (ushort)len;
                    ts.Flags = SlotFlags.None;
                    txHead = tx.Next(txHead);
                    txAvail--;
                    sent++;
                    bytes += len;
                }
            }
            tx.Cur = txHead;
            tx.Head = txHead;
            if (sent != before) events++;
            counters.Packets = (long)sent;
            counters.Bytes = bytes;
            counters.Events = events;
            if (busy) port.TxSync();
        }
        port.TxSync(); // push out the last replies
        long toc = Stopwatch.GetTimestamp();
        counters.Seconds = (toc - tic) / (double)Stopwatch.Frequency;
        counters.Completed = true;
        return true;
    }

    /// <summary>Turns a copy of <paramref name="src"/> in <paramref name="dst"/> into the reply: swaps the Ethernet
    /// addresses and, for IPv4, the IP addresses (checksums are unchanged by a swap).</summary>
    public static void Echo(ReadOnlySpan<byte> src, Span<byte> dst)
    {
        if (src.Length < 12) return;
        src.Slice(6, 6).CopyTo(dst);
        src[..6].CopyTo(dst[6..]);
        if (src.Length >= 34 && src[12] == 0x08 && src[13] == 0x00)
        {
            src.Slice(30, 4).CopyTo(dst[26..]);
            src.Slice(26, 4).CopyTo(dst[30..]);
        }
    }
}
