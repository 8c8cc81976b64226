using System.Runtime.CompilerServices;
using Netmap.Adapters.Monitor;
using Netmap.Adapters.Pipe;
using Netmap.Adapters.Vale;
using Netmap.Rings;

namespace Netmap.Adapters;

/// <summary>Client-side entry to a ring's sync routine, chosen by the kring's kind (a switch, not a virtual call).</summary>
internal static class RingSync
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool TxSync(Kring k, uint token) => k.Kind switch
    {
        KringKind.PipeTx => PipeSync.TxSync(k, token),
        KringKind.ValeTx => ValeSync.TxSync(k, token),
        KringKind.MonitorTx => MonitorSync.TxSync(k, token),
        KringKind.XdpTx or KringKind.PacketTx or KringKind.TapTx => k.Backend is { } b ? b.TxSync(k, token) : NullSync(k, tx: true),
        _ => NullSync(k, tx: true),
    };

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool RxSync(Kring k, uint token) => k.Kind switch
    {
        KringKind.PipeRx => PipeSync.RxSync(k, token),
        KringKind.ValeRx => ValeSync.RxSync(k, token),
        KringKind.MonitorRx => MonitorSync.RxSync(k, token),
        KringKind.XdpRx or KringKind.PacketRx or KringKind.TapRx => k.Backend is { } b ? b.RxSync(k, token) : NullSync(k, tx: false),
        _ => NullSync(k, tx: false),
    };

    /// <summary>Null ports: the prologue's checks and repairs, then nothing moves.</summary>
    private static bool NullSync(Kring k, bool tx)
    {
        ref var ks = ref k.State;
        ref var h = ref k.Ring.Header;
        bool ok = tx ? SyncPrologue.Tx(ref h, ref ks, k.NumSlots, out _) : SyncPrologue.Rx(ref h, ref ks, k.NumSlots, out _);
        if (!ok) { SyncPrologue.Reinit(k.Ring, ref ks); return false; }
        h.Tail = ks.RTail;
        return true;
    }
}
