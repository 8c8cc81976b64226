using Netmap.Rings;

namespace Netmap.Adapters.Vale;

/// <summary>
/// txsync of a VALE port TX ring when the engine is in the caller's process (set on the ring's <see cref="Kring"/>):
/// the sync frame around <see cref="ValeInCallerCore"/>.
/// </summary>
internal sealed class ValeInCallerSync(ValePort port, int ringIndex) : InCallerSync
{
    public override bool TxSync(Kring k, uint token)
    {
        var core = new ValeInCallerCore(port, ringIndex);
        return SyncFrame.Tx(k, token, ref core);
    }
}
