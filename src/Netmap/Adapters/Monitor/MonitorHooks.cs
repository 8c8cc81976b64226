using System.Runtime.CompilerServices;
using Netmap.Abi;
using Netmap.Adapters.Vale;
using Netmap.Interop;
using Netmap.Rings;

namespace Netmap.Adapters.Monitor;

/// <summary>
/// What the syncs of a monitored ring do for its monitors, called only when the ring's
/// <see cref="KringState.MonitorCount"/> is not 0 (so an unmonitored ring pays one test):
/// <list type="bullet">
/// <item>copy monitors (/r /t /rt): the frames are copied, truncated to the buffer size, into the monitor ring when
/// they are sent (TX: slots [hwcur, head) before transmission, with NS_TXMON) or land in the ring (RX);</item>
/// <item>zero-copy monitors (/z): when slots are released (TX: freed by txsync; RX: returned by the consumer) their
/// buffers are swapped with the monitor slots' (the monitored slot gets NS_BUF_CHANGED); a zero-copy monitor's own
/// release feeds the next one of the chain the same way.</item>
/// </list>
/// Callers: pipe syncs and VALE rxsync (clients, any process), VALE forwarding (the engine). Producers of one
/// monitor ring may run in several processes at once, so each delivery takes the ring's
/// <see cref="KringState.MonitorLock"/> (bounded spin; when it stays busy the slots are dropped and counted).
/// A full monitor ring keeps the newest slots and counts the others in <see cref="KringState.MonitorDrops"/>.
/// Nothing here allocates or throws; every index read from shared memory is checked first.
/// </summary>
internal static class MonitorHooks
{
    /// <summary>The <see cref="KringState.MonitorLock"/> token of engine threads (VALE forwarders).</summary>
    public const uint EngineToken = uint.MaxValue;
    private const int LockSpins = 64;
    private const SlotFlags KeepAll = (SlotFlags)0xFFFF;
    private const SlotFlags KeepNotTxMon = ~SlotFlags.TxMonitor;

    // ---------------------------------------------------------------- pipes (client syncs)

    /// <summary>txsync of pipe TX ring <paramref name="k"/> is about to publish [<paramref name="first"/>,
    /// <paramref name="end"/>) to the peer RX ring: copy monitors of both rings see the frames now.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void PipePublish(Kring k, uint first, uint end, uint token)
    {
        ref var ks = ref k.State;
        if (!MonitorGeometry.TryOf(k, out var g)) { ks.BadIndices++; return; }
        if (MonitorLinks.Count(ref ks) != 0) CopyAll(g, k.Ring, ref ks, first, end, KeepNotTxMon, SlotFlags.TxMonitor, token);
        var peer = k.Peer;
        if (peer is null) return;
        ref var ps = ref peer.State;
        if (MonitorLinks.Count(ref ps) != 0) CopyAll(g, peer.Ring, ref ps, first, end, KeepNotTxMon, SlotFlags.None, token);
    }

    /// <summary>txsync of pipe TX ring <paramref name="k"/> moves hwtail from <paramref name="oldTail"/> to
    /// <paramref name="newTail"/>: the receiver released [oldTail + 1, newTail + 1), which zero-copy monitors get.
    /// A release beyond what was handed over (<paramref name="hwcur"/>) is refused (the receiver is untrusted).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void TxReleased(Kring k, uint oldTail, uint newTail, uint hwcur, uint token)
    {
        ref var ks = ref k.State;
        uint n = k.NumSlots;
        uint first = RingMath.Next(oldTail, n), end = RingMath.Next(newTail, n);
        if (first == end) return;
        if (hwcur >= n || RingMath.Distance(first, end, n) > RingMath.Distance(first, hwcur, n)) { ks.BadIndices++; return; }
        if (!MonitorGeometry.TryOf(k, out var g)) { ks.BadIndices++; return; }
        SwapToChain(g, k.Ring, ref ks, first, end, KeepNotTxMon, SlotFlags.TxMonitor, token);
    }

    /// <summary>rxsync of RX ring <paramref name="k"/> (pipe, VALE port, or a zero-copy monitor's own ring) releases
    /// [<paramref name="first"/>, <paramref name="end"/>): zero-copy monitors get those buffers before the release is
    /// published. A monitor ring passes its slots' flags on unchanged (NS_TXMON included).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void RxReleased(Kring k, uint first, uint end, uint token)
    {
        ref var ks = ref k.State;
        if (first == end) return;
        if (!MonitorGeometry.TryOf(k, out var g)) { ks.BadIndices++; return; }
        bool chain = k.Kind == KringKind.MonitorRx;
        SwapToChain(g, k.Ring, ref ks, first, end, chain ? KeepAll : KeepNotTxMon, SlotFlags.None, token);
    }

    // ---------------------------------------------------------------- VALE forwarding (engine)

    /// <summary>Before TX ring <paramref name="ring"/> of <paramref name="src"/> forwards [first, end): copies.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void ValeTxCopy(ValePort src, int ring, uint first, uint end)
        => CopyAll(MonitorGeometry.Of(src.Region), src.TxViews[ring], ref src.TxState(ring), first, end, KeepNotTxMon, SlotFlags.TxMonitor, EngineToken);

    /// <summary>After TX ring <paramref name="ring"/> of <paramref name="src"/> forwarded [first, end), whose slots are
    /// free again: zero-copy monitors.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void ValeTxReleased(ValePort src, int ring, uint first, uint end)
        => SwapToChain(MonitorGeometry.Of(src.Region), src.TxViews[ring], ref src.TxState(ring), first, end, KeepNotTxMon, SlotFlags.TxMonitor, EngineToken);

    /// <summary>Frames were just written into [first, end) of RX ring <paramref name="ring"/> of <paramref name="dst"/>
    /// (under the forwarder's lease, before it is published): copies.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void ValeRxDelivered(ValePort dst, int ring, uint first, uint end)
        => CopyAll(MonitorGeometry.Of(dst.Region), dst.RxViews[ring], ref dst.RxState(ring), first, end, KeepNotTxMon, SlotFlags.None, EngineToken);

    // ---------------------------------------------------------------- delivery

    private static void CopyAll(in MonitorGeometry g, NetmapRing src, ref KringState ks, uint first, uint end, SlotFlags keep, SlotFlags set, uint token)
    {
        if (first == end) return;
        int count = MonitorLinks.Count(ref ks);
        for (int i = 0; i < count; i++)
        {
            uint e = Volatile.Read(ref MonitorLinks.Entry(ref ks, i));
            if (MonitorLinks.KindOf(e) != MonitorLinkKind.Copy) continue;
            if (!g.TryResolve(e, out var t)) { ks.BadIndices++; continue; }
            Deliver(g, src, first, end, t, keep, set, token, zeroCopy: false);
        }
    }

    private static void SwapToChain(in MonitorGeometry g, NetmapRing src, ref KringState ks, uint first, uint end, SlotFlags keep, SlotFlags set, uint token)
    {
        int count = MonitorLinks.Count(ref ks);
        for (int i = 0; i < count; i++)
        {
            uint e = Volatile.Read(ref MonitorLinks.Entry(ref ks, i));
            if (MonitorLinks.KindOf(e) != MonitorLinkKind.ZeroCopy) continue;
            if (!g.TryResolve(e, out var t)) { ks.BadIndices++; return; }
            Deliver(g, src, first, end, t, keep, set, token, zeroCopy: true);
            return; // one chain per ring: its head
        }
    }

    /// <summary>netmap_monitor_parent_sync / netmap_zmon_parent_sync: moves source slots [first, end) into the
    /// monitor ring from its hwtail, newest first when it is short of room, then publishes hwtail and kicks a
    /// sleeping monitor.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Deliver(in MonitorGeometry g, NetmapRing src, uint first, uint end, in MonitorTarget t, SlotFlags keep, SlotFlags set, uint token, bool zeroCopy)
    {
        var mem = g.Memory;
        uint sn = src.NumSlots;
        uint count = RingMath.Distance(first, end, sn);
        ref var ms = ref mem.Ref<KringState>(t.StateOffset);
        if (!TryLock(ref ms.MonitorLock, token))
        {
            Interlocked.Add(ref ms.MonitorDrops, count);
            return;
        }
        uint sent = 0;
        try
        {
            uint n = t.NumSlots;
            uint hwcur = Volatile.Read(ref ms.HwCur); // A: pairs with the monitor's release in MonitorRxCore
            uint i = ms.HwTail;
            if (hwcur >= n || i >= n)
            {
                ms.BadIndices++;
                Interlocked.Add(ref ms.MonitorDrops, count);
                return;
            }
            uint free = n - 1 - RingMath.Distance(hwcur, i, n);
            uint beg = first;
            if (free < count)
            {
                Interlocked.Add(ref ms.MonitorDrops, count - free);
                beg = RingMath.Add(first, count - free, sn); // keep the newest
                count = free;
            }
            uint bufTotal = src.BufferCount, bufSize = src.BufferSize;
            ulong bytes = 0;
            for (; count > 0; count--)
            {
                ref var s = ref src.Slot(beg);
                ref var m = ref mem.Ref<NetmapSlot>(t.SlotsOffset + (long)i * NetmapSlot.Size);
                // Each field of both slots read once: either ring's owner may rewrite them meanwhile.
                uint sidx = s.BufferIndex, midx = m.BufferIndex;
                uint len = Math.Min(s.Length, bufSize); // truncated to the monitor's buffer (the same pool here)
                var sflags = s.Flags;
                m.Flags = (sflags & keep) | set;
                if (sidx - NetmapConstants.ReservedBuffers >= bufTotal - NetmapConstants.ReservedBuffers
                    || midx - NetmapConstants.ReservedBuffers >= bufTotal - NetmapConstants.ReservedBuffers)
                {
                    ms.BadIndices++;
                    len = 0;
                }
                else if (zeroCopy)
                {
                    ushort mlen = m.Length;
                    m.BufferIndex = sidx;
                    s.BufferIndex = midx;
                    s.Length = mlen;
                    s.Flags = sflags | SlotFlags.BufferChanged;
                }
                else src.Buffer(sidx)[..(int)len].CopyTo(src.Buffer(midx));
                m.Length = (ushort)len;
                bytes += len;
                sent++;
                beg = beg + 1 == sn ? 0 : beg + 1;
                i = i + 1 == n ? 0 : i + 1;
            }
            Volatile.Write(ref ms.HwTail, i); // R: slots before the index (the acquire in MonitorRxCore)
            ms.Slots += sent;
            ms.Bytes += bytes;
        }
        finally
        {
            Volatile.Write(ref ms.MonitorLock, 0);
        }
        if (sent != 0) Kick(mem, ref ms, t.Index);
    }

    private static bool TryLock(ref uint lockWord, uint token)
    {
        if (Interlocked.CompareExchange(ref lockWord, token, 0) == 0) return true;
        // The word is in shared memory: a hostile mapper can hold it for ever, so the wait is short (tens of µs,
        // longer than any legitimate holder's copy of one batch) and never yields: it must not cost the monitored
        // port's sync a time slice.
        for (int k = 0; k < LockSpins; k++)
        {
            Thread.SpinWait(16);
            if (Volatile.Read(ref lockWord) == 0 && Interlocked.CompareExchange(ref lockWord, token, 0) == 0) return true;
        }
        return false;
    }

    /// <summary>Publish, full fence, read the monitor's NeedKick (design-notes). A monitor whose kick line this process
    /// does not hold keeps NeedKick armed: netmapd's <see cref="MonitorNotifier"/> wakes it.</summary>
    private static void Kick(MappedMemory mem, ref KringState ms, uint ring)
    {
        Interlocked.MemoryBarrier();
        if (Volatile.Read(ref ms.NeedKick) == 0 || !MonitorKicks.TryGet(mem, ring, out int fd)) return;
        if (Interlocked.Exchange(ref ms.NeedKick, 0) != 0) KickLine.Signal(fd);
    }
}
