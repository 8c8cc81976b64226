using System.Runtime.CompilerServices;
using Netmap.Rings;

namespace Netmap.Adapters.Vale;

/// <summary>
/// txsync core of a VALE port TX ring when the engine is in the caller's process: forwards [hwcur, head) in the
/// caller's thread, exactly as netmap's kernel does, so the whole ring is free again when TxSync returns. The
/// forwarder starts from the engine's own hwcur (<see cref="ValePort.TxHwCur"/>), never from shared memory.
/// </summary>
internal readonly struct ValeInCallerCore(ValePort port, int ringIndex) : ITxSyncCore
{
    public bool OwnsHwCurTail => true;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool TxSync(Kring k, ref KringState ks, ref SyncSnapshot s, uint token)
    {
        ValeForwarder.Flush(port, ringIndex, s.Head, ForwardScratch.ForCurrentThread);
        s.HwCur = s.Head;
        s.HwTail = s.RTail = RingMath.Prev(s.Head, s.NumSlots); // Flush left the whole ring free
        return true;
    }
}
