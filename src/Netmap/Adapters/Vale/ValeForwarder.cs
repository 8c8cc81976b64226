using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Netmap.Abi;
using Netmap.Adapters.Monitor;
using Netmap.Interop;
using Netmap.Rings;

namespace Netmap.Adapters.Vale;

/// <summary>
/// The VALE data path (netmap's nm_vale_preflush + nm_vale_flush): moves the packets a port queued in one TX ring
/// into the RX rings of their destinations, copying bytes between regions (never buffer indices).
/// Run by whoever executes that TX ring's sync: the caller's thread in an embedded engine, a netmapd worker
/// otherwise; one flusher per source ring at a time, any number per destination (leases order them).
/// Everything read from a ring is untrusted: indices and lengths are checked against the region they belong to.
/// </summary>
internal static class ValeForwarder
{
    /// <summary>
    /// Forwards slots [TxHwCur, <paramref name="head"/>) of <paramref name="src"/>'s TX ring
    /// <paramref name="ringIndex"/>, records head as the new hwcur and publishes the whole ring free again
    /// (kring hwcur = head, hwtail = head - 1). <paramref name="head"/> must be &lt; num_slots.
    /// </summary>
    public static void Flush(ValePort src, int ringIndex, uint head, ForwardScratch s)
    {
        uint hwcur = src.TxHwCur[ringIndex];
        if (hwcur == head) return;
        // Monitors (one test when there are none): copies see [hwcur, head) before it is forwarded, zero-copy
        // monitors once the slots are free again.
        bool monitored = Volatile.Read(ref src.TxState(ringIndex).MonitorCount) != 0;
        if (monitored) MonitorHooks.ValeTxCopy(src, ringIndex, hwcur, head);
        Forward(src, ringIndex, hwcur, head, s);
        if (monitored) MonitorHooks.ValeTxReleased(src, ringIndex, hwcur, head);
        ref var ks = ref src.TxState(ringIndex);
        ks.HwCur = head;
        Volatile.Write(ref ks.HwTail, RingMath.Prev(head, src.TxRings[ringIndex].NumSlots)); // the client's txsync reads it
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Forward(ValePort src, int ringIndex, uint hwcur, uint head, ForwardScratch s)
    {
        var view = src.TxViews[ringIndex];
        uint n = view.NumSlots;
        var sw = src.Switch;
        if (sw is null)
        {
            // Not plugged into a switch: the frames have nowhere to go (netmap frees the slots as well).
            src.CountTx(0, 0, RingMath.Distance(hwcur, head, n));
            src.TxHwCur[ringIndex] = head;
            return;
        }
        ref var ks = ref src.TxState(ringIndex);
        sw.Lock.EnterRead();
        try
        {
            if (src.Switch != sw) { src.TxHwCur[ringIndex] = head; return; }
            ref var slot0 = ref view.Slot(0);
            uint bufTotal = view.BufferCount, bufSize = view.BufferSize;
            int frags = 0, bytes = 0;
            s.Clear();
            for (uint j = hwcur; j != head;)
            {
                ref var ts = ref Unsafe.Add(ref slot0, (nint)j);
                var f = ts.Flags;
                if ((f & SlotFlags.BufferChanged) != 0) ts.Flags = f & ~SlotFlags.BufferChanged;
                uint idx = ts.BufferIndex;
                ushort len = ts.Length;
                // NS_INDIRECT points into the sender's address space, which the switch does not share.
                if (idx - NetmapConstants.ReservedBuffers >= bufTotal - NetmapConstants.ReservedBuffers || len > bufSize || (f & SlotFlags.Indirect) != 0)
                {
                    idx = 0; len = 0; ks.BadIndices++;
                }
                s.AddSlot(idx, len);
                frags++;
                bytes += len;
                j = j + 1 == n ? 0 : j + 1;
                // A run still open at head is cut there (netmap clears the last NS_MOREFRAG).
                if ((f & SlotFlags.MoreFragments) == 0 || j == head || frags == NetmapConstants.MaxFragments)
                {
                    s.EndPacket(frags, bytes);
                    frags = 0; bytes = 0;
                    if (s.Slots >= NetmapConstants.BridgeBatch) { ForwardBatch(sw, src, ringIndex, s); s.Clear(); }
                }
            }
            if (s.Packets > 0) ForwardBatch(sw, src, ringIndex, s);
            s.Clear();
        }
        finally
        {
            sw.Lock.ExitRead();
        }
        src.TxHwCur[ringIndex] = head;
    }

    private static void ForwardBatch(ValeSwitch sw, ValePort src, int ringIndex, ForwardScratch s)
    {
        // Pass 1: a destination per packet.
        var lookup = sw.Lookup;
        var mem = src.Region.Mapping;
        long buf0 = src.Region.Buffers.Offset;
        long bufSize = src.Region.Buffers.Geometry.ObjSize;
        int hdr = src.VirtioHeaderLength;
        long txBytes = 0, drops = 0;
        for (int p = 0; p < s.Packets; p++)
        {
            txBytes += s.PacketBytes[p];
            int first = s.PacketFirst[p];
            int len = s.SlotLength[first] - hdr;
            if (len < 14) { drops++; continue; }
            var frame = mem.Span(buf0 + s.SlotBuffer[first] * bufSize + hdr, len);
            byte ring = (byte)ringIndex;
            // The default lookup is called directly (sealed: no interface dispatch per packet, no guard needed).
            byte d = lookup is LearningLookup learning ? learning.Lookup(frame, src.PortIndex, ref ring)
                : CustomLookup(lookup, frame, src.PortIndex, ref ring);
            if (d == ValeDestination.Broadcast) { s.AppendBroadcast(p); continue; }
            var dst = d < NetmapConstants.BridgeMaxPorts ? sw.Port(d) : null;
            if (dst is null || dst == src || dst.RxRings.Length == 0) { drops++; continue; }
            s.Append(d * NetmapConstants.BridgeMaxRings + ring % dst.RxRings.Length, p);
        }
        src.CountTx(s.Packets, txBytes, drops);

        // Pass 2: per destination, unicast merged with broadcast (ring 0) in batch order.
        bool broadcast = s.BroadcastHead >= 0;
        for (int i = 0; i < s.UsedCount; i++)
        {
            int id = s.Used[i];
            int port = id / NetmapConstants.BridgeMaxRings, ring = id % NetmapConstants.BridgeMaxRings;
            Deliver(src, sw.Port(port)!, ring, s.ListHead[id], ring == 0 ? s.BroadcastHead : -1, s);
        }
        if (broadcast)
        {
            foreach (var dst in sw.Active)
            {
                if (dst == src || s.ListHead[dst.PortIndex * NetmapConstants.BridgeMaxRings] >= 0) continue;
                Deliver(src, dst, 0, -1, s.BroadcastHead, s);
            }
        }
    }

    /// <summary>A custom lookup is user code: if it throws, that packet is dropped (counted) and the switch goes on.
    /// Kept out of line so the guard costs the default path nothing.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static byte CustomLookup(IValeLookup lookup, ReadOnlySpan<byte> frame, byte sourcePort, ref byte ring)
    {
        try { return lookup.Lookup(frame, sourcePort, ref ring); }
        catch (Exception) { return ValeDestination.Drop; }
    }

    /// <summary>Copies the packets of two batch-ordered lists into <paramref name="dst"/>'s RX ring: reserves whole
    /// packets under the ring's lease lock, copies without it, publishes in lease order, kicks a sleeping reader.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Deliver(ValePort src, ValePort dst, int ring, int unicast, int broadcast, ForwardScratch s)
    {
        int k = 0, cum = 0;
        while (unicast >= 0 || broadcast >= 0)
        {
            int p;
            if (broadcast < 0 || (unicast >= 0 && unicast < broadcast)) { p = unicast; unicast = s.PacketNext[p]; }
            else { p = broadcast; broadcast = s.PacketNext[p]; }
            cum += s.PacketFrags[p];
            s.Order[k] = p;
            s.Cumulative[k] = cum;
            k++;
        }
        if (k == 0) return;
        if (ring >= dst.RxRings.Length || Volatile.Read(ref dst.RxUsers[ring]) == 0)
        {
            dst.CountRx(0, 0, k); // not in netmap mode, or nobody bound this ring
            return;
        }
        var q = dst.RxQueues[ring];
        ref var ks = ref dst.RxState(ring);
        int granted = q.Reserve(ref ks, s.Cumulative.AsSpan(0, k), out uint j, out int lease);
        long bytes = 0;
        if (granted > 0)
        {
            uint start = j;
            var view = dst.RxViews[ring];
            uint n = view.NumSlots, dstTotal = view.BufferCount, dstSize = view.BufferSize;
            ref var slot0 = ref view.Slot(0);
            var srcMem = src.Region.Mapping;
            var dstMem = dst.Region.Mapping;
            long srcBuf0 = src.Region.Buffers.Offset, srcSize = src.Region.Buffers.Geometry.ObjSize;
            long dstBuf0 = dst.Region.Buffers.Offset;
            int srcHdr = src.VirtioHeaderLength, dstHdr = dst.VirtioHeaderLength;
            for (int o = 0; o < granted; o++)
            {
                int p = s.Order[o];
                int first = s.PacketFirst[p], nfrags = s.PacketFrags[p];
                var rfrags = (SlotFlags)(nfrags << 8);
                for (int f = 0; f < nfrags; f++)
                {
                    ref var ds = ref Unsafe.Add(ref slot0, (nint)j);
                    uint didx = ds.BufferIndex;
                    int srcLen = s.SlotLength[first + f];
                    int srcOff = 0, dstOff = 0;
                    if (f == 0 && srcHdr != dstHdr) { srcOff = Math.Min(srcHdr, srcLen); dstOff = dstHdr; }
                    int copy = srcLen - srcOff, total = dstOff + copy;
                    if (didx - NetmapConstants.ReservedBuffers >= dstTotal - NetmapConstants.ReservedBuffers || total > dstSize)
                    {
                        total = 0; ks.BadIndices++;
                    }
                    else
                    {
                        var to = dstMem.Span(dstBuf0 + didx * (long)dstSize, total);
                        if (dstOff > 0) to[..dstOff].Clear(); // a header the sender did not have: no offloads requested
                        srcMem.Span(srcBuf0 + s.SlotBuffer[first + f] * srcSize + srcOff, copy).CopyTo(to[dstOff..]);
                    }
                    ds.Length = (ushort)total;
                    ds.Flags = f + 1 < nfrags ? rfrags | SlotFlags.MoreFragments : rfrags;
                    bytes += total;
                    j = j + 1 == n ? 0 : j + 1;
                }
            }
            if (ks.MonitorCount != 0) MonitorHooks.ValeRxDelivered(dst, ring, start, j); // copy monitors, still under the lease
            if (q.Complete(ref ks, lease))
            {
                Interlocked.MemoryBarrier(); // publish, fence, then read the reader's NeedKick (design-notes)
                if (Volatile.Read(ref ks.NeedKick) != 0 && Interlocked.Exchange(ref ks.NeedKick, 0) != 0)
                    KickLine.Signal(dst.Kick.SignalFd);
            }
        }
        dst.CountRx(granted, bytes, k - granted);
    }
}
