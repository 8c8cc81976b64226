namespace Netmap.Rings;

/// <summary>
/// The adapter-specific part of an rxsync (netmap's nm_rxsync), run by <see cref="SyncFrame.Rx{TCore}"/> with the
/// ring's lock held and a validated <see cref="SyncSnapshot"/>. Implemented by structs (see <see cref="ITxSyncCore"/>).
/// </summary>
internal interface IRxSyncCore
{
    /// <summary>True when this ring's sync also produces its slots and writes hwtail (Linux interfaces); false
    /// when a peer does (a pipe's sender, the VALE forwarders, a monitored port's syncs): then hwtail is read from
    /// shared memory once, at the end, through <see cref="SyncFrame.AcceptProducerTail"/>.</summary>
    bool OwnsHwTail { get; }

    /// <summary>
    /// Releases [<c>s.HwCur</c>, <c>s.Head</c>) (publishing the new hwcur where its ordering needs it, and setting
    /// <c>s.HwCur</c>), then fetches: leaves in <c>s.RTail</c> the tail to expose (and in <c>s.HwTail</c> the
    /// hwtail). Returns false to report an error. Allocates nothing, throws nothing, loops bounded by num_slots.
    /// </summary>
    bool RxSync(Kring k, ref KringState ks, ref SyncSnapshot s, uint token);
}
