using System.Runtime.CompilerServices;
using Netmap.Interop;
using Netmap.Rings;

namespace Netmap.Adapters.Vale;

/// <summary>
/// Client-side txsync of a VALE port TX ring whose forwarding runs in netmapd: the frame has validated head and
/// published it (the kring's rhead, release); the worker forwards [hwcur, head) and frees the slots, and is kicked
/// only when it armed <see cref="KringState.EngineNeedKick"/> before sleeping (netmap's CSB protocol). hwcur and
/// hwtail are the worker's: the new tail is taken only when it is a legal move (<see cref="SyncFrame.AcceptFreedTail"/>).
/// When the engine is in this process the ring's <see cref="Kring.InCaller"/> sync forwards instead
/// (<see cref="ValeInCallerCore"/>).
/// </summary>
internal readonly struct ValeTxCore : ITxSyncCore
{
    public static bool TxSync(Kring k, uint token)
    {
        if (k.InCaller is { } local) return local.TxSync(k, token);
        var core = new ValeTxCore();
        return SyncFrame.Tx(k, token, ref core);
    }

    public bool OwnsHwCurTail => false;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TxSync(Kring k, ref KringState ks, ref SyncSnapshot s, uint token)
    {
        Interlocked.MemoryBarrier(); // rhead published, then read the worker's flag
        if (Volatile.Read(ref ks.EngineNeedKick) != 0 && Interlocked.Exchange(ref ks.EngineNeedKick, 0) != 0)
            KickLine.Signal(k.PeerKickFd);
        SyncFrame.AcceptFreedTail(ref ks, ref s);
        return true;
    }
}
