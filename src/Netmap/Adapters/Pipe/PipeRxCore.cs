using System.Runtime.CompilerServices;
using Netmap.Abi;
using Netmap.Adapters.Monitor;
using Netmap.Interop;
using Netmap.Rings;

namespace Netmap.Adapters.Pipe;

/// <summary>
/// rxsync of a netmap pipe end (see <see cref="PipeTxCore"/> for the design): returns slots [hwcur, head) to the
/// sender (a buffer swapped in by the receiver flows back with NS_BUF_CHANGED, its index unchecked: the sender's
/// syncs and the library check every index they use), then exposes what the sender published, when it is a legal
/// move (<see cref="SyncFrame.AcceptProducerTail"/>).
/// </summary>
internal readonly struct PipeRxCore : IRxSyncCore
{
    public static bool RxSync(Kring k, uint token)
    {
        var core = new PipeRxCore();
        return SyncFrame.Rx(k, token, ref core);
    }

    public bool OwnsHwTail => false;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool RxSync(Kring k, ref KringState ks, ref SyncSnapshot s, uint token)
    {
        uint n = s.NumSlots;
        uint hwcur = s.HwCur, head = s.Head;
        if (hwcur != head)
        {
            // Zero-copy monitors take the released buffers first (the swapped-in ones flow back below).
            if (Volatile.Read(ref ks.MonitorCount) != 0) MonitorHooks.RxReleased(k, hwcur, head, token);
            var peer = k.Peer!;
            ref var ps = ref peer.State;
            ref var r0 = ref k.Ring.Slot(0);
            ref var t0 = ref peer.Ring.Slot(0);
            for (uint i = hwcur; i != head; i = i + 1 == n ? 0 : i + 1)
            {
                ref var rs = ref Unsafe.Add(ref r0, (nint)i);
                // Only a slot the receiver re-buffered (it must set NS_BUF_CHANGED) touches the sender's line.
                var f = rs.Flags;
                if ((f & SlotFlags.BufferChanged) == 0) continue;
                ref var ts = ref Unsafe.Add(ref t0, (nint)i);
                ts.BufferIndex = rs.BufferIndex;
                ts.Flags |= SlotFlags.BufferChanged;
                rs.Flags = f & ~SlotFlags.BufferChanged;
            }
            Volatile.Write(ref ks.HwCur, head); // R2: pairs with A2 in the sender's reclaim
            s.HwCur = head;
            Interlocked.MemoryBarrier();
            if (Volatile.Read(ref ps.NeedKick) != 0 && Interlocked.Exchange(ref ps.NeedKick, 0) != 0)
                KickLine.Signal(k.PeerKickFd);
        }
        SyncFrame.AcceptProducerTail(ref ks, ref s);
        return true;
    }
}
