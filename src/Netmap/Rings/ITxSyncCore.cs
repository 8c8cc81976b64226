namespace Netmap.Rings;

/// <summary>
/// The adapter-specific part of a txsync (netmap's nm_txsync), run by <see cref="SyncFrame.Tx{TCore}"/> with the
/// ring's lock held and a validated <see cref="SyncSnapshot"/>. Implemented by structs so that the frame is
/// specialised per adapter and the core inlined into it.
/// </summary>
internal interface ITxSyncCore
{
    /// <summary>True when this ring's sync writes hwcur and hwtail (then this handle's shadow of them is kept and
    /// preferred over a scribbled shared copy); false when another party does (netmapd's VALE forwarding worker).</summary>
    bool OwnsHwCurTail { get; }

    /// <summary>
    /// Moves slots [<c>s.HwCur</c>, <c>s.Head</c>) on (every index in <paramref name="s"/> is &lt; num_slots),
    /// writes the shared hwcur/hwtail it owns where its ordering needs them, and leaves in <paramref name="s"/> the
    /// new HwCur, HwTail and RTail (the tail the user gets). Returns false to report an error to the caller.
    /// Allocates nothing, throws nothing, and every loop is bounded by num_slots.
    /// </summary>
    bool TxSync(Kring k, ref KringState ks, ref SyncSnapshot s, uint token);
}
