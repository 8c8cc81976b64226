using System.Runtime.CompilerServices;
using Netmap.Abi;
using Netmap.Adapters.Monitor;
using Netmap.Interop;
using Netmap.Rings;

namespace Netmap.Adapters.Pipe;

/// <summary>
/// txsync of a netmap pipe end, run by whichever process calls TxSync (the two ends share every buffer, so no engine
/// is involved on the data path): hands slots [hwcur, head) to the peer RX ring, publishing only up to the end of
/// the last complete packet (no NS_MOREFRAG), then reclaims what the receiver released.
/// Design: per direction, the sender's TX kring T and the receiver's RX kring R have the same number of slots and
/// slot i of T pairs with slot i of R. The sender is the only writer of T's state and of R.HwTail (publication);
/// the receiver is the only writer of R.HwCur (release). Slot i belongs to the receiver while it lies in
/// [R.HwCur, R.HwTail), to the sender otherwise; so one slot is always empty and capacity is num_slots - 1.
/// Ordering: slots are written before the index that hands them over is published (Volatile.Write = release),
/// and read after the peer's index is read (Volatile.Read = acquire). Wakeups follow design-notes: publish, full
/// fence, read the peer's NeedKick, write its kick line only if set.
/// Untrusted: the receiver's release is taken only when it moves within what was handed over; slots' buffer
/// indices and lengths are checked (a bad one goes out with length 0, counted in BadIndices).
/// </summary>
internal readonly struct PipeTxCore : ITxSyncCore
{
    public static bool TxSync(Kring k, uint token)
    {
        var core = new PipeTxCore();
        return SyncFrame.Tx(k, token, ref core);
    }

    public bool OwnsHwCurTail => true;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TxSync(Kring k, ref KringState ks, ref SyncSnapshot s, uint token)
    {
        var ring = k.Ring;
        uint n = s.NumSlots;
        var peer = k.Peer!;
        ref var ps = ref peer.State;
        uint hwcur = s.HwCur, head = s.Head;
        bool published = false;
        if (hwcur != head)
        {
            uint complete = hwcur;
            ulong bytes = 0;
            uint bufTotal = ring.BufferCount, bufSize = ring.BufferSize;
            // Base refs, then Unsafe.Add: hwcur and head are validated copies < n and i wraps at n.
            ref var t0 = ref ring.Slot(0);
            ref var r0 = ref peer.Ring.Slot(0);
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
                if ((Volatile.Read(ref ks.MonitorCount) | Volatile.Read(ref ps.MonitorCount)) != 0) MonitorHooks.PipePublish(k, hwcur, complete, token);
                // Own hwcur first: a sender killed between the two stores then re-sends nothing into slots
                // the receiver already owns (at worst the publication is repeated by the next sender).
                ks.HwCur = s.HwCur = complete;
                Volatile.Write(ref ps.HwTail, complete); // R1: pairs with the receiver's acquire of hwtail
                published = true;
                ks.Slots += RingMath.Distance(hwcur, complete, n);
                ks.Bytes += bytes;
                Interlocked.MemoryBarrier();
                if (Volatile.Read(ref ps.NeedKick) != 0 && Interlocked.Exchange(ref ps.NeedKick, 0) != 0)
                    KickLine.Signal(k.PeerKickFd);
            }
        }
        // The peer's hwtail is ours to write: put back a value somebody else wrote (a read of a line the receiver only
        // reads, so the common case costs no invalidation).
        if (!published && Volatile.Read(ref ps.HwTail) != s.HwCur)
        {
            ps.BadIndices++;
            Volatile.Write(ref ps.HwTail, s.HwCur);
        }
        // Reclaim: everything before the receiver's hwcur is ours again, if it released only what it was given
        // ([hwtail + 1, hwcur]).
        uint released = Volatile.Read(ref ps.HwCur); // A2: pairs with the receiver's release of hwcur
        uint oldTail = s.HwTail, first = oldTail + 1 == n ? 0 : oldTail + 1;
        if (released < n && RingMath.Distance(first, released, n) <= RingMath.Distance(first, s.HwCur, n))
        {
            uint hwtail = released == 0 ? n - 1 : released - 1;
            if (hwtail != oldTail)
            {
                if (Volatile.Read(ref ks.MonitorCount) != 0) MonitorHooks.TxReleased(k, oldTail, hwtail, s.HwCur, token);
                ks.HwTail = s.HwTail = hwtail;
            }
        }
        else ks.BadIndices++;
        s.RTail = s.HwTail;
        return true;
    }
}
