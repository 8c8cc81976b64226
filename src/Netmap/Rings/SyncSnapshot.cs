namespace Netmap.Rings;

/// <summary>
/// What one sync works on: every index of the ring header and of the kring, each read once from shared memory
/// (another process may rewrite any of them at any time), then validated and repaired by
/// <see cref="SyncPrologue"/>. A sync core reads and updates only these copies; the frame publishes the results.
/// Also the shape of a <see cref="Kring"/>'s process-local shadow: the values its last sync left.
/// </summary>
internal struct SyncSnapshot
{
    /// <summary>num_slots as cached when the ring was opened (trusted).</summary>
    public uint NumSlots;
    /// <summary>The kring's <see cref="KringState.SyncSeq"/> as read (in a shadow: as this handle left it).</summary>
    public uint Seq;
    /// <summary>ring.head, ring.cur (the user's).</summary>
    public uint Head, Cur;
    /// <summary>The kring's hwcur and hwtail (the first slot the sync has not moved yet; the last it handed back).</summary>
    public uint HwCur, HwTail;
    /// <summary>The kring's rhead, rcur, rtail: head and cur as last accepted, the tail last exposed.</summary>
    public uint RHead, RCur, RTail;
}
