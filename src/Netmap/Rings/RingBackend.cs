namespace Netmap.Rings;

/// <summary>
/// The kernel queue behind the rings of a Linux interface (an XSK socket, a TPACKET socket, a TAP fd) as mapped in
/// the process that runs the syncs: netmap's txsync/rxsync run in the caller, so every process that binds a ring
/// of an interface holds its own instance over the same descriptor. One instance serves the TX and the RX ring of
/// one queue. All state that two processes must agree on lives in the kernel's rings or in the krings' shared
/// <see cref="KringState"/>, never in the instance. The sync frame is <see cref="SyncFrame"/>'s; a backend supplies
/// the cores (<see cref="TxCore"/>, <see cref="RxCore"/>), which own hwcur and hwtail of both rings.
/// </summary>
internal abstract class RingBackend : IDisposable
{
    /// <summary>txsync of <paramref name="k"/> (a TX ring of this queue). False when the ring had to be reinitialised.</summary>
    public bool TxSync(Kring k, uint token)
    {
        var core = new BackendTxCore(this);
        return SyncFrame.Tx(k, token, ref core);
    }

    /// <summary>rxsync of <paramref name="k"/> (an RX ring of this queue). False when the ring had to be reinitialised.</summary>
    public bool RxSync(Kring k, uint token)
    {
        var core = new BackendRxCore(this);
        return SyncFrame.Rx(k, token, ref core);
    }

    /// <summary>The txsync core (<see cref="ITxSyncCore.TxSync"/>).</summary>
    public abstract bool TxCore(Kring k, ref KringState ks, ref SyncSnapshot s, uint token);

    /// <summary>The rxsync core (<see cref="IRxSyncCore.RxSync"/>); it writes hwtail itself.</summary>
    public abstract bool RxCore(Kring k, ref KringState ks, ref SyncSnapshot s, uint token);

    /// <summary>The descriptor a waiter polls: POLLIN when frames wait to be received, POLLOUT when TX can progress.</summary>
    public abstract int WaitFd { get; }

    public virtual void Dispose() { }
}
