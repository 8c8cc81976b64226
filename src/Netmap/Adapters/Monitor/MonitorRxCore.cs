using System.Runtime.CompilerServices;
using Netmap.Rings;

namespace Netmap.Adapters.Monitor;

/// <summary>
/// rxsync of a monitor's own RX ring, run by the monitor's client (netmap_monitor_rxsync): releases [hwcur, head) by
/// publishing hwcur (a zero-copy monitor first hands the released buffers to the next monitor of its chain), then
/// exposes what the monitored port's syncs published in hwtail, when it is a legal move. Fails (netmap's EIO) once the
/// monitored port left netmap mode. A monitor's TX ring has no sync: its txsync always fails, as netmap's does.
/// Ordering: hwcur is published with a release store that the producers' acquire of hwcur pairs with (they write
/// only into [hwtail, hwcur - 1)); hwtail is read with an acquire that pairs with their release.
/// </summary>
internal readonly struct MonitorRxCore : IRxSyncCore
{
    public static bool RxSync(Kring k, uint token)
    {
        if (Volatile.Read(ref k.State.MonitorOrphaned) != 0) return false; // the monitored port left netmap mode: EIO
        var core = new MonitorRxCore();
        return SyncFrame.Rx(k, token, ref core);
    }

    public bool OwnsHwTail => false;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool RxSync(Kring k, ref KringState ks, ref SyncSnapshot s, uint token)
    {
        uint hwcur = s.HwCur, head = s.Head;
        if (head != hwcur)
        {
            if (Volatile.Read(ref ks.MonitorCount) != 0) MonitorHooks.RxReleased(k, hwcur, head, token); // next zero-copy monitor
            Volatile.Write(ref ks.HwCur, head); // R: pairs with A in MonitorHooks.Deliver
            s.HwCur = head;
        }
        SyncFrame.AcceptProducerTail(ref ks, ref s);
        return true;
    }
}
