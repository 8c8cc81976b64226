using Netmap.Rings;

namespace Netmap.Adapters.Vale;

/// <summary>
/// txsync of a VALE port TX ring when the engine is in the caller's process: forwards in the caller's thread,
/// exactly as netmap's kernel does, so the whole ring is free again when TxSync returns.
/// </summary>
internal sealed class ValeInCallerSync(ValePort port, int ringIndex) : InCallerSync
{
    public override bool TxSync(Kring k, uint token)
    {
        ref var ks = ref k.State;
        if (Interlocked.CompareExchange(ref ks.SyncLock, token, 0) != 0) return true;
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
            ValeForwarder.Flush(port, ringIndex, head, ForwardScratch.ForCurrentThread);
            rh.Tail = ks.RTail = ks.HwTail; // Flush left the whole ring free
            return true;
        }
        finally
        {
            Volatile.Write(ref ks.SyncLock, 0);
        }
    }
}
