using System.Runtime.CompilerServices;
using Netmap.Abi;
using Netmap.Adapters.Monitor;
using Netmap.Interop;
using Netmap.Rings;

namespace Netmap.Adapters.Pipe;

/// <summary>
/// The sync routines of a netmap pipe, run by whichever process calls TxSync/RxSync (the two ends already share
/// every buffer, so no engine is involved on the data path).
/// Design: per direction, the sender's TX kring T and the receiver's RX kring R have the same number of slots and
/// slot i of T pairs with slot i of R. The sender is the only writer of T's state and of R.HwTail (publication);
/// the receiver is the only writer of R.HwCur (release). Slot i belongs to the receiver while it lies in
/// [R.HwCur, R.HwTail), to the sender otherwise; so one slot is always empty and capacity is num_slots - 1.
/// Ordering: slots are written before the index that hands them over is published (Volatile.Write = release),
/// and read after the peer's index is read (Volatile.Read = acquire). Wakeups follow design-notes: publish, full
/// fence, read the peer's NeedKick, write its kick line only if set.
/// </summary>
internal static class PipeSync
{
    /// <summary>txsync: hands slots [hwcur, head) to the peer, publishing only up to the end of the last complete
    /// packet (no NS_MOREFRAG), then reclaims what the receiver released. False when the ring had to be reinitialised.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static bool TxSync(Kring k, uint token)
    {
        ref var ks = ref k.State;
        if (Interlocked.CompareExchange(ref ks.SyncLock, token, 0) != 0) return true; // busy: another fd is syncing
        try
        {
            var ring = k.Ring;
            ref var rh = ref ring.Header;
            uint n = k.NumSlots;
            if (!SyncPrologue.Tx(ref rh, ref ks, n, out uint head))
            {
                SyncPrologue.Reinit(ring, ref ks);
                return false;
            }
            var peer = k.Peer!;
            ref var ps = ref peer.State;
            var peerRing = peer.Ring;
            uint hwcur = ks.HwCur;
            if (hwcur != head)
            {
                uint complete = hwcur;
                ulong bytes = 0;
                uint bufTotal = ring.BufferCount, bufSize = ring.BufferSize;
                // Base refs, then Unsafe.Add: i < n is guaranteed by the loop, so no per-slot bounds check.
                ref var t0 = ref ring.Slot(0);
                ref var r0 = ref peerRing.Slot(0);
                for (uint i = hwcur; i != head; i = i + 1 == n ? 0 : i + 1)
                {
                    ref var ts = ref Unsafe.Add(ref t0, (nint)i);
                    ref var rs = ref Unsafe.Add(ref r0, (nint)i);
                    uint idx = ts.BufferIndex;
                    ushort len = ts.Length;
                    if (idx - NetmapConstants.ReservedBuffers >= bufTotal - NetmapConstants.ReservedBuffers || len > bufSize)
                    {
                        len = 0; ks.BadIndices++;
                    }
                    var f = ts.Flags;
                    if ((f & SlotFlags.BufferChanged) != 0) { f &= ~SlotFlags.BufferChanged; ts.Flags = f; }
                    // One 16-byte store into the peer's slot: the only cache line this sync hands over per 4 slots.
                    rs = new NetmapSlot { BufferIndex = idx, Length = len, Flags = f, Ptr = ts.Ptr };
                    bytes += len;
                    if ((f & SlotFlags.MoreFragments) == 0) complete = i + 1 == n ? 0 : i + 1;
                }
                if (complete != hwcur)
                {
                    // Copy monitors of this ring and of the peer RX ring see the frames before the receiver can.
                    if ((ks.MonitorCount | ps.MonitorCount) != 0) MonitorHooks.PipePublish(k, hwcur, complete, token);
                    // Own hwcur first: a sender killed between the two stores then re-sends nothing into slots
                    // the receiver already owns (at worst the publication is repeated by the next sender).
                    ks.HwCur = complete;
                    Volatile.Write(ref ps.HwTail, complete); // R1: pairs with A1 in RxSync
                    ks.Slots += RingMath.Distance(hwcur, complete, n);
                    ks.Bytes += bytes;
                    Interlocked.MemoryBarrier();
                    if (Volatile.Read(ref ps.NeedKick) != 0 && Interlocked.Exchange(ref ps.NeedKick, 0) != 0)
                        KickLine.Signal(k.PeerKickFd);
                }
            }
            // Reclaim: everything before the receiver's hwcur is ours again.
            uint released = Volatile.Read(ref ps.HwCur); // A2: pairs with R2 in RxSync
            if (released < n)
            {
                uint hwtail = released == 0 ? n - 1 : released - 1;
                if (ks.MonitorCount != 0 && hwtail != ks.HwTail) MonitorHooks.TxReleased(k, ks.HwTail, hwtail, ks.HwCur, token);
                ks.HwTail = hwtail;
            }
            else ks.BadIndices++;
            rh.Tail = ks.RTail = ks.HwTail;
            return true;
        }
        finally
        {
            Volatile.Write(ref ks.SyncLock, 0);
        }
    }

    /// <summary>rxsync: returns slots [hwcur, head) to the sender (a buffer swapped in by the receiver flows back with
    /// NS_BUF_CHANGED), then exposes what the sender published. Stamps ring.ts. False when the ring had to be reinitialised.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static bool RxSync(Kring k, uint token)
    {
        ref var ks = ref k.State;
        if (Interlocked.CompareExchange(ref ks.SyncLock, token, 0) != 0) return true;
        try
        {
            var ring = k.Ring;
            ref var rh = ref ring.Header;
            uint n = k.NumSlots;
            bool ok = SyncPrologue.Rx(ref rh, ref ks, n, out uint head);
            if (!ok)
            {
                SyncPrologue.Reinit(ring, ref ks);
                head = ks.RHead < n ? ks.RHead : ks.HwCur; // still fetch new packets, release nothing new
            }
            var peer = k.Peer!;
            ref var ps = ref peer.State;
            uint hwcur = ks.HwCur;
            if (hwcur != head)
            {
                // Zero-copy monitors take the released buffers first (the swapped-in ones flow back below).
                if (ks.MonitorCount != 0) MonitorHooks.RxReleased(k, hwcur, head, token);
                var peerRing = peer.Ring;
                ref var r0 = ref ring.Slot(0);
                ref var t0 = ref peerRing.Slot(0);
                for (uint i = hwcur; i != head; i = i + 1 == n ? 0 : i + 1)
                {
                    ref var rs = ref Unsafe.Add(ref r0, (nint)i);
                    // Only a slot the receiver re-buffered (it must set NS_BUF_CHANGED) touches the sender's line.
                    if ((rs.Flags & SlotFlags.BufferChanged) == 0) continue;
                    ref var ts = ref Unsafe.Add(ref t0, (nint)i);
                    ts.BufferIndex = rs.BufferIndex;
                    ts.Flags |= SlotFlags.BufferChanged;
                    rs.Flags &= ~SlotFlags.BufferChanged;
                }
                Volatile.Write(ref ks.HwCur, head); // R2: pairs with A2 in TxSync
                Interlocked.MemoryBarrier();
                if (Volatile.Read(ref ps.NeedKick) != 0 && Interlocked.Exchange(ref ps.NeedKick, 0) != 0)
                    KickLine.Signal(k.PeerKickFd);
            }
            SyncPrologue.RxPublishTail(ref rh, ref ks, n, head); // pairs with the producer's hwtail release
            return ok;
        }
        finally
        {
            Volatile.Write(ref ks.SyncLock, 0);
        }
    }
}
