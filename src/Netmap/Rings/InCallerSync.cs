namespace Netmap.Rings;

/// <summary>
/// A TX sync that runs engine code in the caller's thread: set on a <see cref="Kring"/> when the engine lives in
/// the same process (netmap's model, where txsync executes in the caller's system call). Null across processes.
/// </summary>
internal abstract class InCallerSync
{
    public abstract bool TxSync(Kring k, uint token);
}
