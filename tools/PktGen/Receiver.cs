using System.Diagnostics;
using System.Runtime.CompilerServices;
using Netmap.Abi;

namespace Netmap.Tools.PktGen;

/// <summary>
/// pkt-gen -f rx (receiver_body + receive_packets): waits without limit for the first packet, then syncs
/// (Poll(In, 1 s), or RxSync with --busy) and consumes up to -b slots of every RX ring from head, counting
/// complete packets (slots without NS_MOREFRAG) and bytes, and returns them with head = cur. With -W it ends
/// after a second without traffic; with -n after exactly n packets.
/// </summary>
public sealed class Receiver
{
    private readonly NetmapPort _port;
    private readonly PktGenOptions _options;
    private readonly Counters _counters;
    private readonly StopSignal _stop;
    private readonly DebugLog _log;

    public Receiver(NetmapPort port, PktGenOptions options, Counters counters, StopSignal stop, DebugLog log)
    {
        _port = port;
        _options = options;
        _counters = counters;
        _stop = stop;
        _log = log;
    }

    /// <summary>Runs the loop; false when it ended on an error (POLLERR).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public bool Run()
    {
        var rings = _port.RxRings.ToArray(); // once, before the loop: array indexing in the hot path
        if (rings.Length == 0) { _log.D("receiver_body", PktGenLines.ReceiverWait, $"{_options.Interface} has no RX rings"); return false; }

        var port = _port;
        var counters = _counters;
        var stop = _stop;
        bool busy = _options.Busy;
        bool forever = _options.Forever;
        ulong n = _options.Count;
        uint burst = (uint)_options.Burst;

        // unbounded wait for the first packet
        if (!WaitFirst(rings)) return Finish(0, 0, 0, 0, ok: false);

        long tic = Stopwatch.GetTimestamp();
        long toc = 0;
        long idleLimit = Stopwatch.Frequency; // -W: one second of silence
        long lastTraffic = tic;
        ulong pkts = 0;
        long bytes = 0, events = 0;
        bool ok = true;
        while (!stop.IsSet && (n == 0 || pkts < n))
        {
            if (busy)
            {
                port.RxSync();
            }
            else
            {
                var ev = stop.Poll(port, PollEvents.In, 1000);
                if (ev == PollEvents.None && stop.IsSet) break;
                if (ev == PollEvents.None && !forever)
                {
                    toc = Stopwatch.GetTimestamp() - Stopwatch.Frequency; // subtract the timeout
                    break;
                }
                if ((ev & PollEvents.Error) != 0)
                {
                    _log.D("receiver_body", PktGenLines.ReceiverPollErr, "poll err");
                    ok = false;
                    break;
                }
            }

            long curSpace = 0;
            ulong before = pkts;
            for (int i = 0; i < rings.Length; i++)
            {
                var ring = rings[i];
                uint ns = ring.NumSlots;
                // free room in the ring: slots the port may still fill before it is full (tail == head - 1).
                // netmap computes (head - tail) mod num_slots, which reads 0 for an empty ring; we do not.
                uint pending = ring.GetSpace(out _);
                curSpace += ns - 1 - pending;
                if (pending == 0) continue;
                uint limit = burst;
                if (n > 0 && n - pkts < limit) limit = (uint)(n - pkts);
                uint m = ReceivePackets(ring, limit, ref bytes);
                pkts += m;
                if (m > 0) events++;
            }
            counters.SampleSpace(curSpace);
            counters.Packets = (long)pkts;
            counters.Bytes = bytes;
            counters.Events = events;

            if (busy && !forever)
            {
                long now = Stopwatch.GetTimestamp();
                if (pkts != before) lastTraffic = now;
                else if (now - lastTraffic > idleLimit) { toc = lastTraffic; break; }
            }
        }
        if (toc == 0) toc = Stopwatch.GetTimestamp();
        port.RxSync(); // hand the consumed slots back so the sender's queue drains
        return Finish(pkts, bytes, events, (toc - tic) / (double)Stopwatch.Frequency, ok);
    }

    private bool Finish(ulong pkts, long bytes, long events, double seconds, bool ok)
    {
        _counters.Packets = (long)pkts;
        _counters.Bytes = bytes;
        _counters.Events = events;
        _counters.Seconds = seconds;
        _counters.Completed = ok;
        return ok;
    }

    private bool WaitFirst(NetmapRing[] rings)
    {
        while (!_stop.IsSet)
        {
            if (_options.Busy)
            {
                _port.RxSync();
                foreach (var r in rings) if (!r.IsEmpty) return true;
                Thread.SpinWait(10);
                continue;
            }
            var ev = _stop.Poll(_port, PollEvents.In, 1000);
            if (_stop.IsSet) break;
            if ((ev & PollEvents.Error) != 0)
            {
                _log.D("receiver_body", PktGenLines.ReceiverWait, "fd error");
                return false;
            }
            if ((ev & PollEvents.In) != 0) return true;
            _log.D("receiver_body", PktGenLines.ReceiverWait, $"waiting for initial packets, poll returns 0 {(int)ev}");
        }
        return true; // stopped before anything arrived: not an error
    }

    /// <summary>receive_packets(): consumes up to <paramref name="limit"/> slots from head; adds their lengths to
    /// <paramref name="bytes"/>; returns the complete packets among them.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static uint ReceivePackets(NetmapRing ring, uint limit, ref long bytes)
    {
        uint space = ring.GetSpace(out uint head); // head and tail read once: the walk stays in the ring
        if (space < limit) limit = space;
        uint complete = 0;
        long b = 0;
        for (uint rx = 0; rx < limit; rx++)
        {
            ref var slot = ref ring.Slot(head);
            b += slot.Length;
            if ((slot.Flags & SlotFlags.MoreFragments) == 0) complete++;
            head = ring.Next(head);
        }
        ring.Cur = head;
        ring.Head = head;
        bytes += b;
        return complete;
    }
}
