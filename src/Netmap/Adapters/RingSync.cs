using System.Runtime.CompilerServices;
using Netmap.Adapters.Monitor;
using Netmap.Adapters.Null;
using Netmap.Adapters.Pipe;
using Netmap.Adapters.Vale;
using Netmap.Rings;

namespace Netmap.Adapters;

/// <summary>
/// Client-side entry to a ring's sync, chosen by the kring's kind as read when the handle was made (a switch, not a
/// virtual call). Every sync is <see cref="SyncFrame"/> around the adapter's core.
/// </summary>
internal static class RingSync
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool TxSync(Kring k, uint token) => k.Kind switch
    {
        KringKind.PipeTx => PipeTxCore.TxSync(k, token),
        KringKind.ValeTx => ValeTxCore.TxSync(k, token),
        KringKind.MonitorTx => false, // netmap_monitor_txsync: EIO, a monitor cannot inject
        KringKind.XdpTx or KringKind.PacketTx or KringKind.TapTx => k.Backend is { } b ? b.TxSync(k, token) : NullSyncCore.TxSync(k, token),
        _ => NullSyncCore.TxSync(k, token),
    };

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool RxSync(Kring k, uint token) => k.Kind switch
    {
        KringKind.PipeRx => PipeRxCore.RxSync(k, token),
        KringKind.ValeRx => ValeRxCore.RxSync(k, token),
        KringKind.MonitorRx => MonitorRxCore.RxSync(k, token),
        KringKind.XdpRx or KringKind.PacketRx or KringKind.TapRx => k.Backend is { } b ? b.RxSync(k, token) : NullSyncCore.RxSync(k, token),
        _ => NullSyncCore.RxSync(k, token),
    };
}
