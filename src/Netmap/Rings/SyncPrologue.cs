using System.Runtime.CompilerServices;
using Netmap.Abi;

namespace Netmap.Rings;

/// <summary>
/// The kernel's checks before every sync (nm_txsync_prologue / nm_rxsync_prologue) and the repair after a
/// failure (netmap_ring_reinit), on a <see cref="SyncSnapshot"/>: every index is read from shared memory once
/// (<see cref="Read"/>), and only the copies are checked and used.
/// </summary>
internal static class SyncPrologue
{
    /// <summary>
    /// Copies ring.head, ring.cur and the kring's indices, each read once. A field this ring's sync writes (rhead,
    /// rcur, rtail, and hwcur/hwtail when <paramref name="ownsHwCur"/>/<paramref name="ownsHwTail"/>) is taken from
    /// the handle's shadow when the shared copy cannot be the truth: out of range, or different from the shadow
    /// while nobody else synced the ring since this handle did (<see cref="KringState.SyncSeq"/> unchanged). A field
    /// another party writes is taken as read when in range, else the last value this handle saw. Either repair is
    /// counted in BadIndices, and scribbled own fields are written back. Afterwards every kernel index is &lt; num_slots;
    /// head and cur are as read (the prologue checks them). <paramref name="readHwTail"/> false leaves hwtail at the
    /// shadow's (a core that reads the producer's hwtail itself, later).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Read(Kring k, ref KringState ks, bool ownsHwCur, bool readHwTail, bool ownsHwTail, out SyncSnapshot s)
    {
        ref var h = ref k.Ring.Header;
        ref readonly var sh = ref k.Shadow;
        uint n = k.NumSlots;
        s.NumSlots = n;
        s.Head = Volatile.Read(ref h.Head);
        s.Cur = Volatile.Read(ref h.Cur);
        s.Seq = Volatile.Read(ref ks.SyncSeq);
        bool mine = s.Seq == sh.Seq;
        uint bad = 0;
        s.RHead = Own(Volatile.Read(ref ks.RHead), sh.RHead, n, mine, ref bad);
        s.RCur = Own(Volatile.Read(ref ks.RCur), sh.RCur, n, mine, ref bad);
        s.RTail = Own(Volatile.Read(ref ks.RTail), sh.RTail, n, mine, ref bad);
        uint hwcur = Volatile.Read(ref ks.HwCur);
        s.HwCur = ownsHwCur ? Own(hwcur, sh.HwCur, n, mine, ref bad) : Foreign(hwcur, sh.HwCur, n, ref bad);
        if (!readHwTail) s.HwTail = sh.HwTail;
        else
        {
            uint hwtail = Volatile.Read(ref ks.HwTail);
            s.HwTail = ownsHwTail ? Own(hwtail, sh.HwTail, n, mine, ref bad) : Foreign(hwtail, sh.HwTail, n, ref bad);
        }
        if (bad != 0) Restore(ref ks, in s, bad, ownsHwCur, readHwTail && ownsHwTail);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint Own(uint shared, uint shadow, uint n, bool mine, ref uint bad)
    {
        if (mine ? shared == shadow : shared < n) return shared;
        bad++;
        return shadow;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint Foreign(uint shared, uint shadow, uint n, ref uint bad)
    {
        if (shared < n) return shared;
        bad++;
        return shadow;
    }

    /// <summary>Cold path of <see cref="Read"/>: counts the repairs and puts this sync's own fields back.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Restore(ref KringState ks, in SyncSnapshot s, uint bad, bool hwcur, bool hwtail)
    {
        ks.BadIndices += bad;
        ks.RHead = s.RHead; ks.RCur = s.RCur; ks.RTail = s.RTail;
        if (hwcur) ks.HwCur = s.HwCur;
        if (hwtail) ks.HwTail = s.HwTail;
    }

    /// <summary>TX: head must lie in [rhead, rtail] and cur in [head, rtail] (circularly), every index &lt; n.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool Tx(in SyncSnapshot s)
    {
        uint n = s.NumSlots;
        // Each index on its own: an OR of them is not < n for n not a power of two.
        if (s.Head >= n || s.Cur >= n || s.HwCur >= n || s.HwTail >= n || s.RHead >= n || s.RTail >= n) return false;
        return RingMath.InClosedRange(s.Head, s.RHead, s.RTail) && RingMath.InClosedRange(s.Cur, s.Head, s.RTail);
    }

    /// <summary>RX: head must lie in [hwcur, rtail] and cur in [head, rtail], every index &lt; n.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool Rx(in SyncSnapshot s)
    {
        uint n = s.NumSlots;
        if (s.Head >= n || s.Cur >= n || s.HwCur >= n || s.RHead >= n || s.RTail >= n) return false;
        return RingMath.InClosedRange(s.Head, s.HwCur, s.RTail) && RingMath.InClosedRange(s.Cur, s.Head, s.RTail);
    }

    /// <summary>
    /// netmap_ring_reinit on the snapshot: slots with a buffer index outside [2, total) get index 0 and length 0,
    /// lengths above the buffer size become 0; if any slot was bad, head/cur/tail is out of range, or the kernel
    /// indices disagree among themselves (rhead in [hwcur, rtail], rcur in [rhead, rtail]), the ring is reset to
    /// the kernel's view (head = cur = rhead = rcur = hwcur, tail = rtail = hwtail), in shared memory and in
    /// <paramref name="s"/>. In-range but inconsistent head/cur are not recorded (a bogus rhead would let the next sync
    /// hand out slots the peer owns) but put back: head to the last accepted one (TX: rhead; RX: hwcur) when it is
    /// outside [that, rtail], cur to head when it is outside [head, rtail]. netmap leaves them to the user; here
    /// another process may have written them, and the user would never learn why its syncs fail. hwcur and hwtail are
    /// written back only when this ring's sync owns them. Returns true when something was repaired.
    /// </summary>
    public static bool Reinit(Kring k, ref KringState ks, ref SyncSnapshot s, bool ownsHwCur, bool ownsHwTail)
    {
        var ring = k.Ring;
        uint n = s.NumSlots, total = ring.BufferCount, size = ring.BufferSize;
        ref var h = ref ring.Header;
        int errors = 0;
        for (uint i = 0; i < n; i++)
        {
            ref var slot = ref ring.Slot(i);
            uint idx = slot.BufferIndex;
            ushort len = slot.Length;
            if (idx < NetmapConstants.ReservedBuffers || idx >= total)
            {
                if (idx != 0 || len != 0) errors++;
                slot.BufferIndex = 0; slot.Length = 0;
            }
            else if (len > size) { slot.Length = 0; errors++; }
        }
        if (s.Head >= n || s.Cur >= n || Volatile.Read(ref h.Tail) >= n) errors++;
        // Read guarantees in-range kernel indices; a core's result is checked here as well.
        if (s.HwCur >= n) { s.HwCur = 0; errors++; }
        if (s.HwTail >= n) { s.HwTail = ring.IsTx ? RingMath.Prev(s.HwCur, n) : s.HwCur; errors++; }
        if (s.RHead >= n || s.RCur >= n || s.RTail >= n
            || !RingMath.InClosedRange(s.RHead, s.HwCur, s.RTail) || !RingMath.InClosedRange(s.RCur, s.RHead, s.RTail)) errors++;
        ks.Reinits++;
        if (errors == 0)
        {
            // In range but inconsistent head/cur (another process may have written them, so the user may never fix
            // them): back to the last accepted ones, which are not replaced (not recorded, as netmap would).
            uint from = ring.IsTx ? s.RHead : s.HwCur;
            bool moved = false;
            if (!RingMath.InClosedRange(s.Head, from, s.RTail)) { s.Head = from; moved = true; }
            if (!RingMath.InClosedRange(s.Cur, s.Head, s.RTail)) { s.Cur = s.Head; moved = true; }
            if (!moved) return false;
            h.Head = s.Head;
            h.Cur = s.Cur;
            h.Tail = s.RTail;
            return true;
        }
        s.Head = s.Cur = s.RHead = s.RCur = s.HwCur;
        s.RTail = s.HwTail;
        if (ownsHwCur) ks.HwCur = s.HwCur;
        if (ownsHwTail) ks.HwTail = s.HwTail;
        ks.RHead = ks.RCur = s.HwCur;
        ks.RTail = s.RTail;
        h.Head = h.Cur = s.HwCur;
        h.Tail = s.RTail;
        return true;
    }

    /// <summary>The end of every sync: bumps <see cref="KringState.SyncSeq"/> and keeps the snapshot as the handle's
    /// shadow (the values this sync left).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Commit(Kring k, ref KringState ks, ref SyncSnapshot s)
    {
        s.Seq++;
        ks.SyncSeq = s.Seq;
        k.Shadow = s;
    }
}
