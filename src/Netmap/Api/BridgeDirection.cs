using System.Runtime.CompilerServices;
using Netmap.Abi;
using Netmap.Rings;

namespace Netmap.Api;

/// <summary>
/// One direction of a <see cref="PortBridge"/>: the RX rings of the source port into the TX rings of the
/// destination port (bridge.c's ports_move + rings_move).
/// </summary>
/// <remarks>
/// Design: rings are scanned in order, RX ring <c>si</c> into TX ring <c>di</c>; an empty RX ring moves to the next
/// RX ring, a TX ring without room for the next packet moves to the next TX ring. Only whole packets move (a run of
/// slots ending with one without NS_MOREFRAG), so a packet never straddles two TX rings and a TX ring never ends a
/// sync in the middle of a packet (a VALE txsync would cut it there). A run still open at the RX tail waits for the
/// rest; one that fills the RX ring or reaches the fragment limit is forwarded cut (last NS_MOREFRAG cleared) and
/// counted as dropped. When a ring is left waiting, its cur is set to its tail, netmap's way of saying "wake me
/// when tail moves" to poll.
/// Slots: zero-copy swaps buf_idx between the RX and the TX slot (both get NS_BUF_CHANGED); copy mode copies len
/// bytes, truncating to the TX buffer size. Either way the TX slot gets len and the RX slot's NS_MOREFRAG. A slot
/// whose RX buffer index or length, or whose TX buffer index, is invalid goes out with len 0 (the packet keeps its
/// shape) and is counted as dropped.
/// Not thread-safe: driven by the bridge's thread; <see cref="Packets"/> and <see cref="Dropped"/> may be read
/// from any thread.
/// </remarks>
internal sealed class BridgeDirection
{
    private readonly NetmapRing[] _rx;
    private readonly NetmapRing[] _tx;
    private readonly bool _zeroCopy;
    private readonly uint _maxChain;
    private long _packets;
    private long _dropped;

    public BridgeDirection(IReadOnlyList<NetmapRing> rx, IReadOnlyList<NetmapRing> tx, bool zeroCopy)
    {
        _rx = new NetmapRing[rx.Count];
        for (int i = 0; i < _rx.Length; i++) _rx[i] = rx[i];
        _tx = new NetmapRing[tx.Count];
        uint maxChain = NetmapConstants.MaxFragments;
        for (int i = 0; i < _tx.Length; i++)
        {
            _tx[i] = tx[i];
            maxChain = Math.Min(maxChain, tx[i].NumSlots - 1); // a longer packet could never fit in the TX ring
        }
        _maxChain = Math.Max(1u, maxChain);
        _zeroCopy = zeroCopy;
    }

    /// <summary>Packets moved (a packet of k slots counts once).</summary>
    public long Packets => Volatile.Read(ref _packets);

    /// <summary>Slots forwarded damaged: truncated, emptied (invalid index or length), or ending a cut packet.</summary>
    public long Dropped => Volatile.Read(ref _dropped);

    /// <summary>False when one side has no rings: nothing can ever move this way (do not wait for its frames).</summary>
    public bool CanMove => _rx.Length > 0 && _tx.Length > 0;

    /// <summary>True when the last <see cref="Move"/> stopped because no TX ring had room for a waiting packet.</summary>
    public bool Stalled { get; private set; }

    /// <summary>Why one RX ring / TX ring pairing stopped.</summary>
    private enum PairEnd { RxDrained, TxFull, Budget }

    /// <summary>
    /// Moves whole packets until the RX rings are drained, the TX rings are full, or <paramref name="budget"/>
    /// slots were moved (the packet in progress is finished, so the count may exceed it by less than one packet).
    /// Returns the slots moved. Does not sync. Allocates nothing, throws nothing.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public int Move(int budget)
    {
        var rx = _rx;
        var tx = _tx;
        if (tx.Length == 0) return 0;
        int si = 0, di = 0, moved = 0;
        long packets = 0, dropped = 0;
        bool stalled = false;
        while (si < rx.Length && moved < budget)
        {
            if (di >= tx.Length)
            {
                stalled = true;
                break;
            }
            var end = MovePair(rx[si], tx[di], budget - moved, ref moved, ref packets, ref dropped);
            if (end == PairEnd.RxDrained) si++;
            else if (end == PairEnd.TxFull) di++;
        }
        Stalled = stalled;
        if (packets != 0) Volatile.Write(ref _packets, _packets + packets);
        if (dropped != 0) Volatile.Write(ref _dropped, _dropped + dropped);
        return moved;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private PairEnd MovePair(NetmapRing r, NetmapRing t, int budget, ref int moved, ref long packets, ref long dropped)
    {
        uint rn = r.NumSlots, tn = t.NumSlots;
        uint j = r.Head, rtail = r.Tail;
        uint k = t.Head, ttail = t.Tail;
        // Head and tail were validated by the syncs just before; re-check in case another process scribbled them.
        if (j >= rn || rtail >= rn) return PairEnd.RxDrained;
        if (k >= tn || ttail >= tn) return PairEnd.TxFull;
        uint tspace = ttail >= k ? ttail - k : ttail + tn - k;
        int done = 0;
        var end = PairEnd.Budget;
        bool rxWaits = false;
        while (done < budget)
        {
            if (j == rtail) { end = PairEnd.RxDrained; break; }
            uint ravail = rtail >= j ? rtail - j : rtail + rn - j;

            // Measure the packet starting at j.
            uint limit = Math.Min(ravail, _maxChain);
            uint c = 0, p = j;
            bool complete = false;
            while (c < limit)
            {
                var f = r.Slot(p).Flags;
                c++;
                p = p + 1 == rn ? 0 : p + 1;
                if ((f & SlotFlags.MoreFragments) == 0) { complete = true; break; }
            }
            bool cut = false;
            if (!complete)
            {
                if (c == _maxChain || ravail >= rn - 1) cut = true; // it can never complete here: forward it cut
                else { rxWaits = true; end = PairEnd.RxDrained; break; } // the rest is still to come
            }
            if (c > tspace) { end = PairEnd.TxFull; break; }

            // The packet keeps the shape measured above (the RX flags are not read again: another process may
            // rewrite them meanwhile): NS_MOREFRAG on all but its last slot, also when it is forwarded cut.
            for (uint i = 0; i < c; i++)
            {
                MoveSlot(r, ref r.Slot(j), t, ref t.Slot(k), i + 1 < c ? SlotFlags.MoreFragments : SlotFlags.None, ref dropped);
                j = j + 1 == rn ? 0 : j + 1;
                k = k + 1 == tn ? 0 : k + 1;
            }
            if (cut) dropped++;
            tspace -= c;
            done += (int)c;
            packets++;
        }
        r.Head = j;
        r.Cur = rxWaits ? rtail : j;
        t.Head = k;
        t.Cur = end == PairEnd.TxFull ? ttail : k;
        moved += done;
        return end;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void MoveSlot(NetmapRing r, ref NetmapSlot rs, NetmapRing t, ref NetmapSlot ts, SlotFlags more, ref long dropped)
    {
        // Each field of both slots read once; only the copies are checked and used.
        uint rb = rs.BufferIndex, tb = ts.BufferIndex;
        uint len = rs.Length;
        var tflags = ts.Flags;
        if (len > r.BufferSize || !r.TryGetBuffer(rb, out var from) || !t.TryGetBuffer(tb, out var to))
        {
            ts.Length = 0;
            ts.Flags = (tflags & SlotFlags.BufferChanged) | more;
            dropped++;
            return;
        }
        if (_zeroCopy)
        {
            rs.BufferIndex = tb;
            rs.Flags |= SlotFlags.BufferChanged;
            ts.BufferIndex = rb;
            ts.Length = (ushort)len;
            ts.Flags = SlotFlags.BufferChanged | more;
            return;
        }
        if (len > (uint)to.Length)
        {
            len = (uint)to.Length;
            dropped++;
        }
        from[..(int)len].CopyTo(to);
        ts.Length = (ushort)len;
        ts.Flags = (tflags & SlotFlags.BufferChanged) | more; // keep a pending buffer change the peer handed back
    }
}
