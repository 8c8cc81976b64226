using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using Netmap.Abi;
using Netmap.Interop;
using Netmap.Rings;

namespace Netmap.Adapters.Nic.Packet;

/// <summary>
/// One process's view of the AF_PACKET queue of an interface in netmap mode: its own mapping of the socket's
/// TPACKET_V3 rings (geometry from the krings' BackendParam0..3, see <see cref="PacketAttachment"/>) and the
/// txsync/rxsync that copy frames between those rings and the netmap rings.
/// Design: every process that binds the queue holds such an instance over its own copy of the descriptor; the
/// position in the kernel rings is shared, in the krings' state, and moved only under the kring's sync lock:
/// <list type="bullet">
/// <item>RX kring: BackendCursor0 = current RX block (low 16 bits) | index of the next frame to copy in it (high
/// 16 bits); BackendCursor1 = byte offset of that frame in the block (meaningful when the index is not 0).</item>
/// <item>TX kring: BackendCursor0 = the next TX frame to fill. The kernel sends frames in ring order from where it
/// stopped, so frames are filled in order and never skipped.</item>
/// </list>
/// Everything read from the kernel rings (block headers, frame headers) and from the netmap ring (slots) is
/// checked before use; what does not pass is counted (BackendDrops for frames, BadIndices for slots) and skipped.
/// Frames longer than a buffer are split over several slots chained with NS_MOREFRAG (RX) and gathered back into
/// one frame (TX). The syncs allocate nothing and throw nothing.
/// </summary>
internal sealed class PacketQueue : RingBackend
{
    /// <summary>The smallest frame the kernel accepts on an Ethernet device (the header).</summary>
    public const uint MinTxFrame = 14;

    /// <summary>The longest slot chain rxsync builds for one frame (a 64 KiB block over 64-byte buffers); longer
    /// frames are dropped.</summary>
    private const int MaxChain = 1026;

    private readonly int _fd;
    private readonly TpacketRings _rings;
    private readonly uint _blockSize;
    private readonly uint _rxBlocks;
    private readonly uint _maxPktsPerBlock;
    private readonly uint _txFrames;
    private readonly uint _txMaxData;

    private PacketQueue(int fd, TpacketRings rings)
    {
        _fd = fd;
        _rings = rings;
        var g = rings.Geometry;
        _blockSize = g.BlockSize;
        _rxBlocks = g.RxBlocks;
        _maxPktsPerBlock = (g.BlockSize - TpacketBlockDesc.Size) / Tpacket3Header.Size;
        _txFrames = g.TxFrames;
        _txMaxData = g.TxMaxFrameData;
    }

    public override int WaitFd => _fd;

    /// <summary>This process's mapping (tests and diagnostics).</summary>
    internal TpacketRings Rings => _rings;

    /// <summary>Maps the rings of packet socket <paramref name="fd"/> for <paramref name="tx"/> and/or
    /// <paramref name="rx"/>; the geometry comes from their kring parameters, which must agree and describe the
    /// socket's rings (the kernel checks the mapping length). Throws naming <paramref name="owner"/>.</summary>
    public static PacketQueue Open(int fd, Kring? tx, Kring? rx, MappedMemory mem, in RegionLayout layout, string owner)
    {
        if (tx is null && rx is null) throw NetmapException.Create(owner, "AF_PACKET queue", Errno.EINVAL, "no ring to serve");
        if (tx is not null && tx.Kind != KringKind.PacketTx) throw NetmapException.Create(owner, "AF_PACKET queue", Errno.EINVAL, $"TX ring kind is {tx.Kind}");
        if (rx is not null && rx.Kind != KringKind.PacketRx) throw NetmapException.Create(owner, "AF_PACKET queue", Errno.EINVAL, $"RX ring kind is {rx.Kind}");
        var g = GeometryOf(tx ?? rx!);
        if (tx is not null && rx is not null && GeometryOf(rx) != g)
            throw NetmapException.Create(owner, "AF_PACKET queue", Errno.EINVAL, "TX and RX krings disagree on the ring geometry");
        if (!g.IsValid(out string why)) throw NetmapException.Create(owner, "AF_PACKET queue", Errno.EINVAL, why);
        return new PacketQueue(fd, TpacketRings.Map(fd, g, owner));
    }

    private static TpacketGeometry GeometryOf(Kring k)
    {
        ref var ks = ref k.State;
        return new TpacketGeometry(ks.BackendParam0, ks.BackendParam1, ks.BackendParam2, ks.BackendParam3);
    }

    /// <summary>
    /// rxsync: releases [hwcur, head) (clearing NS_BUF_CHANGED), then copies frames from the retired RX blocks into
    /// [hwtail, hwcur - 1), giving each block back to the kernel once all its frames are copied, and publishes
    /// tail. A frame that does not fit in the free slots waits, with the cursor on it, for the next rxsync. A
    /// frame that could never fit (more slots than the ring holds) or that the kernel truncated is dropped and
    /// counted. False when the ring had to be reinitialised (frames are still fetched).
    /// </summary>
    public override bool RxCore(Kring k, ref KringState ks, ref SyncSnapshot snap, uint token)
    {
        var ring = k.Ring;
        uint n = snap.NumSlots, head = snap.Head, hwcur = snap.HwCur;
        if (head != hwcur)
        {
            ref var s0 = ref ring.Slot(0);
            for (uint i = hwcur; i != head; i = i + 1 == n ? 0 : i + 1)
            {
                ref var s = ref Unsafe.Add(ref s0, (nint)i);
                var f = s.Flags;
                if ((f & SlotFlags.BufferChanged) != 0) s.Flags = f & ~SlotFlags.BufferChanged;
            }
            ks.HwCur = hwcur = head;
        }
        uint filled = Fill(ring, ref ks, snap.HwTail, RingMath.Prev(hwcur, n), n);
        Volatile.Write(ref ks.HwTail, filled);
        snap.HwCur = hwcur;
        snap.HwTail = snap.RTail = filled;
        return true;
    }

    /// <summary>Copies frames into slots [<paramref name="tail"/>, <paramref name="limit"/>); returns the new tail.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private uint Fill(NetmapRing ring, ref KringState ks, uint tail, uint limit, uint n)
    {
        uint free = RingMath.Distance(tail, limit, n);
        uint cursor = ks.BackendCursor0;
        uint block = cursor & 0xffff, index = cursor >> 16, offset = ks.BackendCursor1;
        if (block >= _rxBlocks) { ks.BadIndices++; block = Resync(); index = 0; }
        uint slotCap = Math.Min(ring.BufferSize, ushort.MaxValue);
        uint frameMax = (n - 1) * slotCap; // the most a chain of the whole ring carries
        ulong slots = 0, bytes = 0;
        Span<uint> buffers = stackalloc uint[MaxChain]; // the buffers of one frame's slots, each read once
        // At most one pass over the blocks per sync: their headers are writable by every process that holds the
        // socket, so "retired" blocks may keep coming.
        for (uint visited = 0; free != 0 && visited < _rxBlocks; visited++)
        {
            ref var bd = ref _rings.Block(block);
            if ((Volatile.Read(ref bd.BlockStatus) & Tpacket3Header.StatusUser) == 0) break; // acquire: pairs with the kernel's retire
            uint num = bd.NumPkts;
            if (num > _maxPktsPerBlock) { ks.BackendDrops++; num = 0; }
            if (index == 0) offset = bd.OffsetToFirstPkt;
            bool waiting = false;
            while (index < num)
            {
                if (offset < TpacketBlockDesc.Size || offset > _blockSize - Tpacket3Header.Size || (offset & 7) != 0)
                {
                    ks.BackendDrops += num - index; break; // the chain of frames is broken: give up the block
                }
                ref var h = ref _rings.RxFrame(block, offset);
                uint mac = h.Mac, snap = h.SnapLen, len = h.Len, status = h.Status, next = h.NextOffset;
                uint room = _blockSize - offset;
                if (mac < Tpacket3Header.Size || mac > room || snap > room - mac)
                {
                    ks.BackendDrops += num - index; break;
                }
                bool vlan = (status & Tpacket3Header.StatusVlanValid) != 0;
                uint total = vlan ? snap + 4 : snap;
                if (snap < len || snap == 0 || (vlan && snap < 12) || total > frameMax || total > MaxChain * slotCap)
                {
                    ks.BackendDrops++; // truncated by the kernel, empty, or longer than the whole netmap ring (or a chain)
                }
                else
                {
                    uint need = (total + slotCap - 1) / slotCap;
                    if (need > free) { waiting = true; break; }
                    uint bad = ReadBuffers(ring, tail, need, n, buffers);
                    if (bad != need)
                    {
                        // A slot the user left without a valid buffer: hand it (and the ones before it) back empty
                        // and try this frame again after it.
                        for (uint j = 0; j <= bad; j++)
                        {
                            ref var s = ref ring.Slot(tail);
                            s.Length = 0; s.Flags = SlotFlags.None;
                            tail = tail + 1 == n ? 0 : tail + 1;
                        }
                        free -= bad + 1;
                        slots += bad + 1;
                        ks.BadIndices++;
                        continue;
                    }
                    var data = _rings.RxBytes(block, offset + mac, (int)snap);
                    if (vlan)
                    {
                        uint tpid = (status & Tpacket3Header.StatusVlanTpidValid) != 0 ? h.VlanTpid : 0x8100u;
                        CopyTagged(ring, tail, n, slotCap, data, tpid, h.VlanTci, buffers);
                    }
                    else CopyPlain(ring, tail, n, slotCap, data, buffers);
                    tail = RingMath.Add(tail, need, n);
                    free -= need;
                    slots += need;
                    bytes += total;
                }
                index++;
                if (index < num)
                {
                    if (next < Tpacket3Header.Size || next > room - Tpacket3Header.Size || (next & 7) != 0)
                    {
                        ks.BackendDrops += num - index; break;
                    }
                    offset += next;
                }
            }
            if (waiting) break;
            Volatile.Write(ref bd.BlockStatus, Tpacket3Header.StatusKernel); // release: our reads of the block are done
            block = block + 1 == _rxBlocks ? 0 : block + 1;
            index = 0; offset = 0;
        }
        ks.BackendCursor0 = block | index << 16;
        ks.BackendCursor1 = offset;
        ks.Slots += slots;
        ks.Bytes += bytes;
        return tail;
    }

    /// <summary>
    /// Where to read after the shared RX cursor was found corrupt: the oldest block the kernel has handed over
    /// (lowest seq_num), or, when it has handed none, the block it opened last (highest seq_num), which it is
    /// filling. Cold path: a scan of the block headers.
    /// </summary>
    private uint Resync()
    {
        uint oldestUser = uint.MaxValue, newest = 0;
        ulong oldestSeq = ulong.MaxValue, newestSeq = 0;
        for (uint b = 0; b < _rxBlocks; b++)
        {
            ref var bd = ref _rings.Block(b);
            ulong seq = bd.SeqNum;
            if ((Volatile.Read(ref bd.BlockStatus) & Tpacket3Header.StatusUser) != 0 && seq < oldestSeq) { oldestSeq = seq; oldestUser = b; }
            if (seq >= newestSeq) { newestSeq = seq; newest = b; }
        }
        return oldestUser != uint.MaxValue ? oldestUser : newest;
    }

    /// <summary>Reads the buffer index of each of slots [tail, tail + need) once into <paramref name="buffers"/>;
    /// returns the index (0..need-1) of the first that is not a valid buffer, or need.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint ReadBuffers(NetmapRing ring, uint tail, uint need, uint n, Span<uint> buffers)
    {
        for (uint j = 0; j < need; j++)
        {
            uint idx = ring.Slot(tail).BufferIndex;
            if (!ring.IsValidBuffer(idx)) return j;
            buffers[(int)j] = idx;
            tail = tail + 1 == n ? 0 : tail + 1;
        }
        return need;
    }

    /// <summary>Copies <paramref name="data"/> into slots from <paramref name="slot"/> on, <paramref name="cap"/>
    /// bytes per slot, NS_MOREFRAG on all but the last, into the buffers the caller read and checked.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void CopyPlain(NetmapRing ring, uint slot, uint n, uint cap, ReadOnlySpan<byte> data, ReadOnlySpan<uint> buffers)
    {
        for (int b = 0; ; b++)
        {
            ref var s = ref ring.Slot(slot);
            int c = data.Length <= (int)cap ? data.Length : (int)cap;
            data[..c].CopyTo(ring.Buffer(buffers[b]));
            s.Length = (ushort)c;
            data = data[c..];
            if (data.IsEmpty) { s.Flags = SlotFlags.None; return; }
            s.Flags = SlotFlags.MoreFragments;
            slot = slot + 1 == n ? 0 : slot + 1;
        }
    }

    /// <summary>Like <see cref="CopyPlain"/> for a frame whose VLAN tag the device took off: puts the tag back after
    /// the two MAC addresses, so the ring holds the frame as it was on the wire.</summary>
    private static void CopyTagged(NetmapRing ring, uint slot, uint n, uint cap, ReadOnlySpan<byte> data, uint tpid, uint tci, ReadOnlySpan<uint> buffers)
    {
        Span<byte> head = stackalloc byte[16];
        data[..12].CopyTo(head);
        BinaryPrimitives.WriteUInt16BigEndian(head[12..], (ushort)tpid);
        BinaryPrimitives.WriteUInt16BigEndian(head[14..], (ushort)tci);
        var rest = data[12..];
        int pos = 0, b = 0;
        ReadOnlySpan<byte> src = head;
        bool onHead = true;
        while (true)
        {
            ref var s = ref ring.Slot(slot);
            var buf = ring.Buffer(buffers[b]);
            int c = Math.Min(src.Length, (int)cap - pos);
            src[..c].CopyTo(buf[pos..]);
            pos += c;
            src = src[c..];
            if (src.IsEmpty && onHead) { src = rest; onHead = false; }
            if (src.IsEmpty) { s.Length = (ushort)pos; s.Flags = SlotFlags.None; return; }
            if (pos == (int)cap)
            {
                s.Length = (ushort)pos; s.Flags = SlotFlags.MoreFragments;
                slot = slot + 1 == n ? 0 : slot + 1;
                b++;
                pos = 0;
            }
        }
    }

    /// <summary>
    /// txsync: copies each packet of [hwcur, head) (a slot chain up to the first slot without NS_MOREFRAG) into the
    /// next TX frame while frames are AVAILABLE, marks it SEND_REQUEST and kicks the kernel once. Copied slots are
    /// free at once (hwtail = hwcur - 1); when the TX ring is full the rest stays pending for a later txsync (poll
    /// the socket for POLLOUT). A chain still open at head waits for its end. Packets with an invalid slot, shorter
    /// than an Ethernet header or longer than a TX frame are dropped and counted. False when the ring had to be
    /// reinitialised.
    /// </summary>
    public override bool TxCore(Kring k, ref KringState ks, ref SyncSnapshot snap, uint token)
    {
        var ring = k.Ring;
        uint n = snap.NumSlots, head = snap.Head;
        uint frame = ks.BackendCursor0;
        if (frame >= _txFrames) { ks.BadIndices++; frame = 0; }
        uint bufSize = ring.BufferSize;
        uint i = snap.HwCur;
        bool queued = false, full = false;
        ulong slots = 0, bytes = 0;
        while (i != head)
        {
            ref var h = ref _rings.TxFrame(frame);
            uint status = Volatile.Read(ref h.Status); // acquire: pairs with the kernel's release of the frame
            if (status != Tpacket3Header.StatusAvailable && status != Tpacket3Header.StatusWrongFormat) { full = true; break; }
            // The packet: slots [i, end), each slot read once and gathered into the frame as it is measured (the
            // frame is handed over only if the packet is complete and sound).
            var dst = _rings.TxData(frame);
            uint end = i, count = 0;
            int total = 0;
            bool bad = false, open = false;
            while (true)
            {
                ref var s = ref ring.Slot(end);
                uint idx = s.BufferIndex, len = s.Length;
                var f = s.Flags;
                if (!ring.TryGetBuffer(idx, out var buf) || len > bufSize) { bad = true; ks.BadIndices++; }
                else if (!bad && total + (int)len <= dst.Length) buf[..(int)len].CopyTo(dst[total..]);
                if (!bad) total += (int)len;
                count++;
                end = end + 1 == n ? 0 : end + 1;
                if ((f & SlotFlags.MoreFragments) == 0) break;
                if (end == head) { open = true; break; }
            }
            if (open) break;
            ClearBufferChanged(ring, i, end, n);
            if (bad || total < MinTxFrame || total > _txMaxData)
            {
                ks.BackendDrops++;
                i = end;
                continue;
            }
            h.NextOffset = 0;
            h.Len = (uint)total;
            h.SnapLen = (uint)total;
            Volatile.Write(ref h.Status, Tpacket3Header.StatusSendRequest); // release: the data is written
            frame = frame + 1 == _txFrames ? 0 : frame + 1;
            queued = true;
            slots += count;
            bytes += (uint)total;
            i = end;
        }
        ks.BackendCursor0 = frame;
        // A full ring is kicked too: frames left in SEND_REQUEST by an earlier failed send get another chance.
        if (queued || full) PacketSocket.Kick(_fd);
        ks.HwCur = snap.HwCur = i;
        uint hwtail = RingMath.Prev(i, n);
        ks.HwTail = snap.HwTail = snap.RTail = hwtail;
        ks.Slots += slots;
        ks.Bytes += bytes;
        return true;
    }

    private static void ClearBufferChanged(NetmapRing ring, uint from, uint to, uint n)
    {
        for (uint j = from; j != to; j = j + 1 == n ? 0 : j + 1)
        {
            ref var s = ref ring.Slot(j);
            var f = s.Flags;
            if ((f & SlotFlags.BufferChanged) != 0) s.Flags = f & ~SlotFlags.BufferChanged;
        }
    }

    public override void Dispose() => _rings.Dispose();
}
