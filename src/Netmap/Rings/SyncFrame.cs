using System.Runtime.CompilerServices;

namespace Netmap.Rings;

/// <summary>
/// The one sync skeleton (netmap's netmap_poll/ioctl frame around nm_txsync/nm_rxsync): lock, read-once snapshot of
/// the ring header and the kring (<see cref="SyncPrologue.Read"/>), prologue, reinit on failure, the adapter's core,
/// then the epilogue (tail, timestamp, shadow, unlock). Adapters supply only the core, as a struct, so each
/// instantiation is specialised and the core inlined: nothing is allocated or boxed.
/// <para>Trust: every process that maps the region can write every shared field at any moment. The frame reads each
/// field once, validates the copy, and hands only copies to the core; every index the core gets is &lt; num_slots
/// (the value cached at open), so a loop from hwcur to head ends within num_slots steps. Fields written by another
/// party (a peer's release, a producer's hwtail) are read by the core, once, and checked for a legal move
/// (<see cref="AcceptProducerTail"/>).</para>
/// <para>Lock: <see cref="KringState.SyncLock"/> is a word in shared memory, so a hostile mapper can hold it for
/// ever: a busy lock makes the sync return at once (true, nothing moved), as netmap's nm_kr_tryget does; nothing
/// ever waits for it here.</para>
/// </summary>
internal static class SyncFrame
{
    /// <summary>txsync of <paramref name="k"/>. False when the ring had to be reinitialised (its sync was skipped) or the
    /// core reported an error.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static bool Tx<TCore>(Kring k, uint token, ref TCore core) where TCore : struct, ITxSyncCore
    {
        ref var ks = ref k.State;
        if (Interlocked.CompareExchange(ref ks.SyncLock, token, 0) != 0) return true; // busy: another fd is syncing
        try
        {
            bool owns = core.OwnsHwCurTail;
            SyncPrologue.Read(k, ref ks, owns, readHwTail: owns, owns, out var s);
            bool ok;
            if (!SyncPrologue.Tx(in s))
            {
                SyncPrologue.Reinit(k, ref ks, ref s, owns, owns);
                ok = false;
            }
            else
            {
                ks.RCur = s.RCur = s.Cur;
                Volatile.Write(ref ks.RHead, s.RHead = s.Head); // release: slots before head were written first
                ok = core.TxSync(k, ref ks, ref s, token);
                k.Ring.Header.Tail = s.RTail;
                ks.RTail = s.RTail;
            }
            SyncPrologue.Commit(k, ref ks, ref s);
            return ok;
        }
        finally
        {
            Volatile.Write(ref ks.SyncLock, 0);
        }
    }

    /// <summary>rxsync of <paramref name="k"/>: releases, fetches, stamps ring.ts. False when the ring had to be
    /// reinitialised (nothing new is released then, new slots are still fetched) or the core reported an error.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static bool Rx<TCore>(Kring k, uint token, ref TCore core) where TCore : struct, IRxSyncCore
    {
        ref var ks = ref k.State;
        if (Interlocked.CompareExchange(ref ks.SyncLock, token, 0) != 0) return true;
        try
        {
            bool ownsTail = core.OwnsHwTail;
            SyncPrologue.Read(k, ref ks, ownsHwCur: true, readHwTail: ownsTail, ownsTail, out var s);
            bool ok = SyncPrologue.Rx(in s);
            if (!ok)
            {
                SyncPrologue.Reinit(k, ref ks, ref s, ownsHwCur: true, ownsTail);
                s.Head = s.Cur = s.HwCur; // release nothing new
            }
            else
            {
                ks.RCur = s.RCur = s.Cur;
                ks.RHead = s.RHead = s.Head;
            }
            ok &= core.RxSync(k, ref ks, ref s, token);
            ref var h = ref k.Ring.Header;
            h.Tail = s.RTail;
            ks.RTail = s.RTail;
            long ticks = DateTime.UtcNow.Ticks - DateTime.UnixEpoch.Ticks;
            h.TsSec = ticks / TimeSpan.TicksPerSecond;
            h.TsUsec = ticks % TimeSpan.TicksPerSecond / 10;
            SyncPrologue.Commit(k, ref ks, ref s);
            return ok;
        }
        finally
        {
            Volatile.Write(ref ks.SyncLock, 0);
        }
    }

    /// <summary>
    /// RX rings fed by another party: reads its hwtail once (acquire: pairs with the producer's release) and exposes
    /// it when it is a legal move, i.e. forward from the tail last exposed and not past hwcur - 1 (a producer never
    /// fills the slot before the consumer's hwcur). Otherwise the last tail stays and the value is counted.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void AcceptProducerTail(ref KringState ks, ref SyncSnapshot s)
    {
        uint n = s.NumSlots;
        uint t = Volatile.Read(ref ks.HwTail);
        if (t < n && RingMath.Distance(s.RTail, t, n) <= RingMath.Distance(s.RTail, RingMath.Prev(s.HwCur, n), n))
            s.HwTail = s.RTail = t;
        else ks.BadIndices++;
    }

    /// <summary>
    /// TX rings freed by another party (netmapd's VALE worker): reads its hwtail once (acquire) and takes it as the
    /// new tail when it is a legal move, forward from the tail last exposed and not past head - 1 (nothing beyond
    /// the published head can have been forwarded). Otherwise the last tail stays and the value is counted.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void AcceptFreedTail(ref KringState ks, ref SyncSnapshot s)
    {
        uint n = s.NumSlots;
        uint t = Volatile.Read(ref ks.HwTail);
        if (t < n && RingMath.Distance(s.RTail, t, n) <= RingMath.Distance(s.RTail, RingMath.Prev(s.Head, n), n))
            s.HwTail = s.RTail = t;
        else ks.BadIndices++;
    }
}
