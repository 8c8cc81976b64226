namespace Netmap.Rings;

/// <summary>The rxsync core of a Linux interface ring: the queue's own (one virtual call per sync).</summary>
internal readonly struct BackendRxCore(RingBackend backend) : IRxSyncCore
{
    public bool OwnsHwTail => true;

    public bool RxSync(Kring k, ref KringState ks, ref SyncSnapshot s, uint token) => backend.RxCore(k, ref ks, ref s, token);
}
