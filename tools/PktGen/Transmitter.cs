using System.Diagnostics;
using System.Runtime.CompilerServices;
using Netmap.Abi;

namespace Netmap.Tools.PktGen;

/// <summary>
/// pkt-gen -f tx (sender_body + send_packets): every TX slot's buffer is filled with the frame once; the loop
/// then only writes len and flags from head, copying the frame again only into slots whose buffer changed
/// (NS_BUF_CHANGED), sets NS_REPORT on the batch's last slot, advances head = cur, and sets cur = tail when
/// short of room so that Poll sleeps until the receiver frees slots. Frames larger than a buffer (or -F) go out
/// as NS_MOREFRAG chains, copied every time. At the end it flushes and waits (bounded) until nothing is pending.
/// </summary>
public sealed class Transmitter
{
    /// <summary>How long the final wait for pending TX slots may take.</summary>
    public static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(3);

    private readonly NetmapPort _port;
    private readonly PktGenOptions _options;
    private readonly byte[] _frame;
    private readonly Counters _counters;
    private readonly StopSignal _stop;
    private readonly DebugLog _log;

    public Transmitter(NetmapPort port, PktGenOptions options, byte[] frame, Counters counters, StopSignal stop, DebugLog log)
    {
        _port = port;
        _options = options;
        _frame = frame;
        _counters = counters;
        _stop = stop;
        _log = log;
    }

    /// <summary>Runs the loop; false when it ended on an error (POLLERR).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public bool Run()
    {
        var rings = _port.TxRings.ToArray(); // once, before the loop: array indexing in the hot path
        if (rings.Length == 0) { _log.D("sender_body", PktGenLines.SenderPoll, $"{_options.Interface} has no TX rings"); return false; }

        int size = _frame.Length;
        ComputeFragments(size, rings[0].BufferSize, out int frags, out int fragSize);
        if (frags > 1)
            _log.D("sender_body", PktGenLines.SenderPoll, $"frags {frags} frag_size {fragSize}");
        else
            foreach (var r in rings) Prefill(r, _frame);

        var port = _port;
        var frame = _frame;
        var counters = _counters;
        var stop = _stop;
        bool busy = _options.Busy;
        ulong n = _options.Count;
        ulong burst = (ulong)_options.Burst;
        int rate = _options.Rate;
        ulong sent = 0;
        long events = 0;
        bool ok = true;

        long period = 0, next = 0, tosend = 0;
        if (rate > 0)
        {
            // netmap: a burst of some 1/300 s worth of packets, sent every burst/rate seconds.
            long lim = rate / 300;
            if ((long)burst > lim) burst = (ulong)lim;
            if (burst == 0) burst = 1;
            period = (long)(burst * (double)Stopwatch.Frequency / rate);
            next = Stopwatch.GetTimestamp();
        }

        long tic = Stopwatch.GetTimestamp();
        while (!stop.IsSet && (n == 0 || sent < n))
        {
            if (rate > 0 && tosend <= 0)
            {
                tosend = (long)burst;
                next += period;
                WaitUntil(next);
            }

            // wait for room in the send queue(s)
            if (busy)
            {
                port.TxSync();
            }
            else
            {
                var ev = stop.Poll(port, PollEvents.Out, 2000);
                if (ev == PollEvents.None)
                {
                    if (stop.IsSet) break;
                    _log.D("sender_body", PktGenLines.SenderPoll, "poll error on queue 0: timeout" + PeerNote(port));
                }
                if ((ev & PollEvents.Error) != 0)
                {
                    _log.D("sender_body", PktGenLines.SenderPoll, $"poll error on {_options.Interface} ring 0-{rings.Length - 1}");
                    ok = false;
                    break;
                }
            }

            long space = 0;
            for (int i = 0; i < rings.Length; i++) space += rings[i].Space;
            counters.SampleSpace(space);

            // scan our queues and send on those with room
            for (int i = 0; i < rings.Length; i++)
            {
                if (n > 0 && n == sent) break;
                ulong limit = rate > 0 ? (ulong)tosend : burst;
                if (n > 0 && n - sent < limit) limit = n - sent;
                var ring = rings[i];
                if (ring.IsEmpty) continue;
                uint m = frags == 1
                    ? SendPackets(ring, frame, (uint)limit, ref counters.BadSlots)
                    : SendFragmented(ring, frame, (uint)limit, frags, fragSize, ref counters.BadSlots);
                sent += m;
                if (m > 0) events++;
                counters.Packets = (long)sent;
                counters.Bytes = (long)sent * size;
                counters.Events = events;
                if (rate > 0)
                {
                    tosend -= m;
                    if (tosend <= 0) break;
                }
            }
        }

        // flush any remaining packets, then wait until the receiver took them (bounded)
        port.TxSync();
        Drain(rings);

        long toc = Stopwatch.GetTimestamp();
        counters.Packets = (long)sent;
        counters.Bytes = (long)sent * size;
        counters.Events = events;
        counters.Seconds = (toc - tic) / (double)Stopwatch.Frequency;
        counters.Completed = ok;
        return ok;
    }

    /// <summary>Fills the buffers of the slots we own with the frame; marks the others NS_BUF_CHANGED so they get
    /// the frame when they come back to us (netmap marks all of them and copies lazily).</summary>
    public static void Prefill(NetmapRing ring, ReadOnlySpan<byte> frame)
    {
        uint space = ring.GetSpace(out uint head), n = ring.NumSlots;
        uint tail = TailOf(head, space, n);
        for (uint j = 0; j < n; j++)
        {
            ref var slot = ref ring.Slot(j);
            bool owned = space != 0 && (tail >= head ? j >= head && j < tail : j >= head || j < tail);
            if (owned && ring.TryGetBuffer(slot.BufferIndex, out var buf))
            {
                frame.CopyTo(buf);
                slot.Length = (ushort)frame.Length;
                slot.Flags = SlotFlags.None;
            }
            else
            {
                slot.Flags |= SlotFlags.BufferChanged;
            }
        }
    }

    /// <summary>send_packets() for one-slot frames: up to <paramref name="count"/> packets from head. Head and tail
    /// are read once; a slot whose buffer index is invalid (a peer handed it back so) goes out empty and is counted
    /// in <paramref name="bad"/>, not as a packet.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static uint SendPackets(NetmapRing ring, byte[] frame, uint count, ref long bad)
    {
        uint space = ring.GetSpace(out uint head);
        uint tail = TailOf(head, space, ring.NumSlots);
        ushort len = (ushort)frame.Length;
        uint last = head;
        uint sent = 0, used = 0;
        for (; sent < count && space > 0; space--)
        {
            ref var slot = ref ring.Slot(head);
            var flags = slot.Flags;
            uint idx = slot.BufferIndex;
            if (!ring.TryGetBuffer(idx, out var buf))
            {
                slot.Length = 0;
                slot.Flags = SlotFlags.None;
                bad++;
            }
            else
            {
                if ((flags & SlotFlags.BufferChanged) != 0) frame.AsSpan().CopyTo(buf);
                slot.Flags = SlotFlags.None;
                slot.Length = len;
                sent++;
            }
            used++;
            last = head;
            head = ring.Next(head);
        }
        Publish(ring, head, tail, last, used, sent < count);
        return sent;
    }

    /// <summary>send_packets() for multi-slot frames: each packet is <paramref name="frags"/> slots of
    /// <paramref name="fragSize"/> bytes (the last one the rest), NS_MOREFRAG on all but the last. A fragment whose
    /// slot has an invalid buffer index goes out empty (the packet keeps its shape) and is counted in
    /// <paramref name="bad"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static uint SendFragmented(NetmapRing ring, byte[] frame, uint count, int frags, int fragSize, ref long bad)
    {
        uint space = ring.GetSpace(out uint head);
        uint tail = TailOf(head, space, ring.NumSlots);
        uint last = head;
        uint sent = 0, used = 0;
        var src = frame.AsSpan();
        for (; sent < count && space >= (uint)frags; sent++, space -= (uint)frags)
        {
            int off = 0;
            for (int f = 0; f < frags; f++)
            {
                ref var slot = ref ring.Slot(head);
                int want = f + 1 < frags ? fragSize : src.Length - off, len = want;
                if (ring.TryGetBuffer(slot.BufferIndex, out var buf)) src.Slice(off, len).CopyTo(buf);
                else { len = 0; bad++; }
                slot.Length = (ushort)len;
                slot.Flags = f + 1 < frags ? SlotFlags.MoreFragments : SlotFlags.None;
                off += want;
                last = head;
                head = ring.Next(head);
                used++;
            }
        }
        Publish(ring, head, tail, last, used, sent < count);
        return sent;
    }

    /// <summary>The tail that <see cref="NetmapRing.GetSpace"/> counted to: head + space, modulo the ring.</summary>
    private static uint TailOf(uint head, uint space, uint n) => head + space >= n ? head + space - n : head + space;

    /// <summary>End of a batch: NS_REPORT on its last slot, head = cur past it; cur = tail (as read for this batch)
    /// when the batch came up short, to tell netmap that we need more slots (Poll then waits for them).</summary>
    private static void Publish(NetmapRing ring, uint head, uint tail, uint last, uint used, bool short_)
    {
        if (used > 0)
        {
            ring.Slot(last).Flags |= SlotFlags.Report;
            ring.Cur = head;
            ring.Head = head;
        }
        if (short_) ring.Cur = tail;
    }

    /// <summary>Slots per packet and bytes per slot: as netmap (-F, -M, at most a buffer each), except that the
    /// last fragment never exceeds the others.</summary>
    public void ComputeFragments(int size, uint bufferSize, out int frags, out int fragSize)
    {
        int limit = (int)Math.Min(bufferSize, _options.FragmentSize > 0 ? (uint)_options.FragmentSize : uint.MaxValue);
        frags = _options.Fragments;
        fragSize = (size + frags - 1) / frags;
        if (fragSize > limit) fragSize = limit;
        frags = (size + fragSize - 1) / fragSize;
        if (frags < 1) frags = 1;
    }

    private void Drain(NetmapRing[] rings)
    {
        long deadline = Stopwatch.GetTimestamp() + (long)(DrainTimeout.TotalSeconds * Stopwatch.Frequency);
        foreach (var ring in rings)
        {
            int spins = 0;
            while (!_stop.IsSet && ring.HasPendingTx)
            {
                _port.TxSync();
                if (!ring.HasPendingTx) break;
                if (Stopwatch.GetTimestamp() > deadline)
                {
                    _log.D("sender_body", PktGenLines.SenderPending,
                        $"pending tx tail {ring.Tail} head {ring.Head} on ring {ring.RingId}: giving up after {DrainTimeout.TotalSeconds:F0} s");
                    return;
                }
                if (++spins < 1000) Thread.SpinWait(50);
                else Thread.Sleep(1);
            }
        }
    }

    /// <summary>" (netmap:p}1 was closed)" when the port is a pipe end whose peer is gone, else "": appended to the
    /// poll timeout lines, so a sender learns why nothing moves.</summary>
    internal static string PeerNote(NetmapPort port) => port.PeerFailure is { } why ? $" ({why})" : "";

    private static void WaitUntil(long deadline)
    {
        while (true)
        {
            long now = Stopwatch.GetTimestamp();
            long left = deadline - now;
            if (left <= 0) return;
            if (left > Stopwatch.Frequency / 1000) Thread.Sleep(1);
            else Thread.SpinWait(20);
        }
    }
}
