using System.Runtime.CompilerServices;
using Netmap.Abi;

namespace Netmap.Rings;

/// <summary>
/// The kernel's checks before every sync (nm_txsync_prologue / nm_rxsync_prologue) and the repair after a
/// failure (netmap_ring_reinit). All indices come from shared memory, so all are checked against num_slots.
/// </summary>
internal static class SyncPrologue
{
    /// <summary>
    /// TX: head must lie in [rhead, rtail] and cur in [head, rtail] (circularly), every kernel index &lt; n.
    /// On success records rhead/rcur, restores ring.tail if the user overwrote it, and returns true.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool Tx(ref NetmapRingHeader ring, ref KringState ks, uint n, out uint head)
    {
        head = ring.Head;
        uint cur = ring.Cur;
        uint rhead = ks.RHead, rtail = ks.RTail;
        if (ks.HwCur >= n || rhead >= n || rtail >= n || ks.HwTail >= n || head >= n || cur >= n) return false; // each index: an OR of them is not < n for n not a power of two
        if (!RingMath.InClosedRange(head, rhead, rtail)) return false;
        if (!RingMath.InClosedRange(cur, head, rtail)) return false;
        if (ring.Tail != rtail) ring.Tail = rtail;
        ks.RHead = head;
        ks.RCur = cur;
        return true;
    }

    /// <summary>RX: head must lie in [hwcur, rtail] and cur in [head, rtail]; same bookkeeping as <see cref="Tx"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool Rx(ref NetmapRingHeader ring, ref KringState ks, uint n, out uint head)
    {
        head = ring.Head;
        uint cur = ring.Cur;
        uint hwcur = ks.HwCur, rtail = ks.RTail;
        if (hwcur >= n || rtail >= n || ks.RHead >= n || head >= n || cur >= n) return false;
        if (!RingMath.InClosedRange(head, hwcur, rtail)) return false;
        if (!RingMath.InClosedRange(cur, head, rtail)) return false;
        if (ring.Tail != rtail) ring.Tail = rtail;
        ks.RHead = head;
        ks.RCur = cur;
        return true;
    }

    /// <summary>
    /// The end of every rxsync: exposes what the producer published (the kring's hwtail, acquire; an out-of-range
    /// value is counted and the last good tail kept) as ring.tail and stamps ring.ts.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void RxPublishTail(ref NetmapRingHeader ring, ref KringState ks, uint n, uint head)
    {
        uint tail = Volatile.Read(ref ks.HwTail); // acquire: pairs with the producer's release of hwtail
        if (tail >= n) { ks.BadIndices++; tail = ks.RTail < n ? ks.RTail : head; }
        ring.Tail = ks.RTail = tail;
        long ticks = DateTime.UtcNow.Ticks - DateTime.UnixEpoch.Ticks;
        ring.TsSec = ticks / TimeSpan.TicksPerSecond;
        ring.TsUsec = ticks % TimeSpan.TicksPerSecond / 10;
    }

    /// <summary>
    /// netmap_ring_reinit: slots with a buffer index outside [2, total) get index 0 and length 0, lengths above the
    /// buffer size become 0; if any slot was bad or head/cur/tail is out of range, the ring is reset to the kernel's
    /// view (head = cur = hwcur, tail = hwtail). In-range but inconsistent head/cur are not trusted and not
    /// recorded (netmap records them; we do not, because a bogus rhead would let the next sync hand out slots the
    /// peer owns). Returns true when something was repaired.
    /// </summary>
    public static bool Reinit(NetmapRing ring, ref KringState ks)
    {
        uint n = ring.NumSlots;
        ref var h = ref ring.Header;
        int errors = 0;
        for (uint i = 0; i < n; i++)
        {
            ref var s = ref ring.Slot(i);
            if (s.BufferIndex < NetmapConstants.ReservedBuffers || s.BufferIndex >= ring.BufferCount)
            {
                if (s.BufferIndex != 0 || s.Length != 0) errors++;
                s.BufferIndex = 0; s.Length = 0;
            }
            else if (s.Length > ring.BufferSize) { s.Length = 0; errors++; }
        }
        if (h.Head >= n || h.Cur >= n || h.Tail >= n) errors++;
        uint hwcur = ks.HwCur < n ? ks.HwCur : 0;
        uint hwtail = ks.HwTail < n ? ks.HwTail : (ring.IsTx ? RingMath.Prev(hwcur, n) : hwcur);
        if (ks.HwCur >= n || ks.HwTail >= n || ks.RHead >= n || ks.RTail >= n || ks.RCur >= n) errors++;
        ks.Reinits++;
        if (errors > 0)
        {
            ks.HwCur = hwcur; ks.HwTail = hwtail;
            h.Head = h.Cur = ks.RHead = ks.RCur = hwcur;
            h.Tail = ks.RTail = hwtail;
            return true;
        }
        return false;
    }
}
