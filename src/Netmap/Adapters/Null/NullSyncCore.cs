using Netmap.Rings;

namespace Netmap.Adapters.Null;

/// <summary>The syncs of a null port's rings (and of an interface ring whose queue this process does not map): the
/// frame's checks and repairs, then nothing moves (the tail stays where it was).</summary>
internal readonly struct NullSyncCore : ITxSyncCore, IRxSyncCore
{
    public static bool TxSync(Kring k, uint token)
    {
        var core = new NullSyncCore();
        return SyncFrame.Tx(k, token, ref core);
    }

    public static bool RxSync(Kring k, uint token)
    {
        var core = new NullSyncCore();
        return SyncFrame.Rx(k, token, ref core);
    }

    public bool OwnsHwCurTail => true;

    public bool OwnsHwTail => true;

    public bool TxSync(Kring k, ref KringState ks, ref SyncSnapshot s, uint token) => true;

    public bool RxSync(Kring k, ref KringState ks, ref SyncSnapshot s, uint token) => true;
}
