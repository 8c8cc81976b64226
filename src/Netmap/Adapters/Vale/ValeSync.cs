using System.Runtime.CompilerServices;
using Netmap.Adapters.Monitor;
using Netmap.Interop;
using Netmap.Rings;

namespace Netmap.Adapters.Vale;

/// <summary>
/// Client-side syncs of VALE port rings. TX: validate and publish head (the kring's rhead); the switch side (the
/// caller itself for an embedded engine, a netmapd worker otherwise) forwards [hwcur, head) and frees the slots;
/// the worker is kicked only when it armed <see cref="KringState.EngineNeedKick"/> before sleeping (netmap's CSB
/// protocol). RX: release [hwcur, head) by publishing hwcur, then expose what the switch published in hwtail.
/// </summary>
internal static class ValeSync
{
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static bool TxSync(Kring k, uint token)
    {
        if (k.InCaller is { } local) return local.TxSync(k, token);
        ref var ks = ref k.State;
        if (Interlocked.CompareExchange(ref ks.SyncLock, token, 0) != 0) return true; // another thread is syncing this ring
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
            Volatile.Write(ref ks.RHead, head); // slots [hwcur, head) were written before: release
            Interlocked.MemoryBarrier();
            if (Volatile.Read(ref ks.EngineNeedKick) != 0 && Interlocked.Exchange(ref ks.EngineNeedKick, 0) != 0)
                KickLine.Signal(k.PeerKickFd);
            uint tail = Volatile.Read(ref ks.HwTail);
            if (tail >= n) { ks.BadIndices++; tail = ks.RTail; }
            rh.Tail = ks.RTail = tail;
            return true;
        }
        finally
        {
            Volatile.Write(ref ks.SyncLock, 0);
        }
    }

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
                head = ks.HwCur;
            }
            if (head != ks.HwCur)
            {
                if (ks.MonitorCount != 0) MonitorHooks.RxReleased(k, ks.HwCur, head, token); // zero-copy monitors
                ref var s0 = ref ring.Slot(0);
                for (uint i = ks.HwCur; i != head; i = i + 1 == n ? 0 : i + 1)
                {
                    ref var s = ref Unsafe.Add(ref s0, (nint)i);
                    if ((s.Flags & SlotFlags.BufferChanged) != 0) s.Flags &= ~SlotFlags.BufferChanged;
                }
                Volatile.Write(ref ks.HwCur, head); // the switch may now fill [old hwcur, head) again
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
