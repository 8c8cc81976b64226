using System.Runtime.CompilerServices;
using Netmap.Rings;

namespace Netmap.Adapters.Monitor;

/// <summary>
/// The syncs of a monitor's own rings, run by the monitor's client. TX: always fails (netmap_monitor_txsync returns
/// EIO: a monitor cannot inject). RX (netmap_monitor_rxsync): releases [hwcur, head) by publishing hwcur (a
/// zero-copy monitor first hands the released buffers to the next monitor of its chain), then exposes what the
/// monitored port's syncs published in hwtail. Both fail once the monitored port left netmap mode.
/// Ordering: hwcur is published with a release store that the producers' acquire of hwcur pairs with (they write
/// only into [hwtail, hwcur - 1)); hwtail is read with an acquire that pairs with their release.
/// </summary>
internal static class MonitorSync
{
    public static bool TxSync(Kring k, uint token) => false;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static bool RxSync(Kring k, uint token)
    {
        ref var ks = ref k.State;
        if (Volatile.Read(ref ks.MonitorOrphaned) != 0) return false; // the monitored port left netmap mode: EIO
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
                head = ks.HwCur; // still fetch new slots, release nothing
            }
            uint hwcur = ks.HwCur;
            if (head != hwcur)
            {
                if (ks.MonitorCount != 0) MonitorHooks.RxReleased(k, hwcur, head, token); // next zero-copy monitor
                Volatile.Write(ref ks.HwCur, head); // R: pairs with A in MonitorHooks.Deliver
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
