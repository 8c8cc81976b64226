namespace Netmap.Rings;

/// <summary>The txsync core of a Linux interface ring: the queue's own (one virtual call per sync).</summary>
internal readonly struct BackendTxCore(RingBackend backend) : ITxSyncCore
{
    public bool OwnsHwCurTail => true;

    public bool TxSync(Kring k, ref KringState ks, ref SyncSnapshot s, uint token) => backend.TxCore(k, ref ks, ref s, token);
}
