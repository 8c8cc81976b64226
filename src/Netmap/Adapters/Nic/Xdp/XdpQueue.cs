using System.Runtime.CompilerServices;
using Netmap.Abi;
using Netmap.Interop;
using Netmap.Rings;

namespace Netmap.Adapters.Nic.Xdp;

/// <summary>
/// One AF_XDP queue as seen by a process that syncs its rings: the four XSK rings mapped from the socket, and
/// the txsync/rxsync that move frames between them and the netmap rings. The UMEM is the region's buffer pool, so
/// a descriptor's chunk is a netmap buffer index: nothing is copied between buffers.
/// <para>Design (RX). Slots [hwtail, hwcur - 1) are kernel-owned and hold exactly the buffers lent to the kernel
/// (in the fill ring, in the driver, or in the RX ring not yet consumed), in the order they were lent; slot
/// hwcur - 1 is the spare, whose buffer stays home. rxsync releases [hwcur, head): the slots that become
/// kernel-owned are the old spare and [hwcur, head - 1), so their buffers go to the fill ring in slot order, and
/// head - 1 becomes the spare. It then consumes RX descriptors into [hwtail, hwcur - 1): the fill ring is FIFO, so
/// the chunk is normally the buffer slot hwtail already holds; otherwise (a driver recycled buffers out of order)
/// the kernel-owned slot holding the chunk swaps buffers with slot hwtail (NS_BUF_CHANGED on both). The kernel
/// writes the frame XDP_PACKET_HEADROOM bytes into the chunk; it is moved to the buffer's start, where netmap
/// programs read it.</para>
/// <para>Design (TX). Slots [hwtail + 1, hwcur) are pending: posted to the TX ring and not yet completed, holding
/// exactly the in-flight buffers. txsync posts [hwcur, head) as descriptors {buf * chunk, len}; a slot it cannot
/// post (invalid buffer, length 0 or beyond the buffer, part of a multi-slot frame) gets length 0 and is pending
/// without a descriptor: it completes as soon as it is the oldest pending slot. Each completion frees the oldest
/// pending slot (the same swap rule applies when a completion comes out of order).</para>
/// <para>Untrusted input. Slots, kring fields and the XSK rings are shared with other processes; every index is
/// validated (ring entries are masked, buffer indices checked against the pool) and a bad one is counted
/// (BadIndices for buffer indices, BackendDrops for frames the backend could not carry), never trusted. A
/// descriptor whose chunk is not among the buffers lent to the kernel is dropped (its buffer is not ours to
/// take); an RX descriptor with a bad length gives its chunk straight back to the fill ring. A released RX slot
/// without a valid buffer lends nothing: it stays kernel-owned as a placeholder that floats to the end of the
/// kernel-owned slots (the ring loses one slot of capacity, no buffer is duplicated).</para>
/// <para>Limits. Multi-buffer frames (NS_MOREFRAG) are not carried: every slot of such a frame is dropped and the
/// frame counted once in BackendDrops (a trailing incomplete frame waits for its last slot). Frames longer than a
/// chunk minus the kernel's headroom (1792 bytes with 2048-byte buffers, copy mode) are dropped by the kernel
/// (XDP_STATISTICS rx_dropped).</para>
/// All shared state is in the kernel rings and the krings' <see cref="KringState"/>; this instance only caches the
/// mappings and geometry. The syncs are <see cref="SyncFrame"/> around <see cref="TxCore"/>/<see cref="RxCore"/>,
/// which get validated copies of the kring's indices; they allocate nothing and throw nothing.
/// </summary>
internal sealed class XdpQueue : RingBackend
{
    /// <summary>XDP_PACKET_HEADROOM: where the kernel puts received data in a chunk (copy mode).</summary>
    public const int KernelHeadroom = 256;

    private const int EAGAIN = 11;
    private const uint MaxEntries = 1 << 16;

    private readonly int _fd;
    private readonly XskRing? _rx, _fill, _tx, _comp;
    private readonly int _shift;     // log2(chunk size)
    private readonly uint _chunkMask;
    private readonly bool _copyMode;
    private readonly int _maxKicks;

    private XdpQueue(int fd, XskRing? rx, XskRing? fill, XskRing? tx, XskRing? comp, uint chunk, bool copyMode)
    {
        _fd = fd; _rx = rx; _fill = fill; _tx = tx; _comp = comp;
        _shift = System.Numerics.BitOperations.Log2(chunk);
        _chunkMask = chunk - 1;
        _copyMode = copyMode;
        // The generic (copy) path sends at most 32 frames per kick.
        _maxKicks = tx is null ? 0 : (int)(tx.Entries / 32) + 2;
    }

    public override int WaitFd => _fd;

    /// <summary>True when the socket runs in copy mode (XDP_OPTIONS), i.e. every TX needs a kick.</summary>
    public bool CopyMode => _copyMode;

    /// <summary>Maps the rings of XSK <paramref name="fd"/> for <paramref name="tx"/> and/or <paramref name="rx"/>,
    /// with the geometry the engine wrote in their krings (validated). Does not take ownership of the fd.</summary>
    public static XdpQueue Open(int fd, Kring? tx, Kring? rx, MappedMemory mem, in RegionLayout layout, string owner)
    {
        if (tx is null && rx is null) throw NetmapException.Create(owner, "AF_XDP", Errno.EINVAL, "no ring to serve");
        if (tx is not null && tx.Kind != KringKind.XdpTx || rx is not null && rx.Kind != KringKind.XdpRx)
            throw NetmapException.Create(owner, "AF_XDP", Errno.EINVAL, "the rings are not AF_XDP rings");
        uint chunk = layout.BufObjSize;
        if (chunk is not (2048 or 4096))
            throw NetmapException.Create(owner, "AF_XDP", Errno.EINVAL, $"buffers of {chunk} bytes cannot be UMEM chunks");
        int r = XskSocket.MmapOffsets(fd, out var off);
        if (r < 0) throw new NetmapException((Errno)(-r), $"{owner}: AF_XDP XDP_MMAP_OFFSETS: {SystemError.Name(-r)}, descriptor {fd} is not an AF_XDP socket");
        r = XskSocket.Options(fd, out uint options);
        if (r < 0) throw new NetmapException((Errno)(-r), $"{owner}: AF_XDP XDP_OPTIONS: {SystemError.Name(-r)}");

        XskRing? rxRing = null, fill = null, txRing = null, comp = null;
        try
        {
            if (rx is not null)
            {
                uint entries = Entries(rx, rx.State.BackendParam0, chunk, owner);
                rxRing = XskRing.Map(fd, XskSocket.PgOffRxRing, off.Rx, entries, Unsafe.SizeOf<XdpDesc>(), owner, "RX");
                fill = XskRing.Map(fd, XskSocket.PgOffFillRing, off.Fill, entries, sizeof(ulong), owner, "fill");
            }
            if (tx is not null)
            {
                uint entries = Entries(tx, tx.State.BackendParam1, chunk, owner);
                txRing = XskRing.Map(fd, XskSocket.PgOffTxRing, off.Tx, entries, Unsafe.SizeOf<XdpDesc>(), owner, "TX");
                comp = XskRing.Map(fd, XskSocket.PgOffCompletionRing, off.Completion, entries, sizeof(ulong), owner, "completion");
            }
            return new XdpQueue(fd, rxRing, fill, txRing, comp, chunk, (options & XskSocket.OptionZeroCopy) == 0);
        }
        catch
        {
            rxRing?.Dispose(); fill?.Dispose(); txRing?.Dispose(); comp?.Dispose();
            throw;
        }
    }

    private static uint Entries(Kring k, uint entries, uint chunk, string owner)
    {
        ref var ks = ref k.State;
        if (entries < k.NumSlots || entries > MaxEntries || (entries & (entries - 1)) != 0 || ks.BackendParam3 != chunk)
            throw NetmapException.Create(owner, "AF_XDP", Errno.EINVAL, $"kring {k.Index} has no usable AF_XDP geometry ({entries} entries for {k.NumSlots} slots, chunk {ks.BackendParam3})");
        return entries;
    }

    /// <summary>rxsync: lends the released slots' buffers to the fill ring, then takes the received frames into
    /// [hwtail, hwcur - 1). False when the ring had to be reinitialised (new frames are still taken).</summary>
    public override bool RxCore(Kring k, ref KringState ks, ref SyncSnapshot snap, uint token)
    {
        var rx = _rx;
        var fill = _fill;
        if (rx is null || fill is null) return true;
        var ring = k.Ring;
        uint n = snap.NumSlots, head = snap.Head;
        uint hwcur = snap.HwCur, hwtail = snap.HwTail; // validated copies (a scribbled hwtail was replaced by the shadow's)
        uint bufTotal = ring.BufferCount;
        ref var s0 = ref ring.Slot(0);
        uint fprod = fill.Producer;
        bool lent = false;

        // Release [hwcur, head): the spare (hwcur - 1) and [hwcur, head - 1) become kernel-owned.
        if (hwcur != head)
        {
            for (uint i = hwcur, prev = RingMath.Prev(hwcur, n); i != head; prev = i, i = i + 1 == n ? 0 : i + 1)
            {
                uint idx = Unsafe.Add(ref s0, (nint)prev).BufferIndex;
                if (idx - NetmapConstants.ReservedBuffers < bufTotal - NetmapConstants.ReservedBuffers)
                    fill.Addr(fprod++) = (ulong)idx << _shift;
                else
                    ks.BadIndices++; // a placeholder: the slot stays kernel-owned without a buffer
                ref var s = ref Unsafe.Add(ref s0, (nint)i);
                var f = s.Flags;
                if ((f & SlotFlags.BufferChanged) != 0) s.Flags = f & ~SlotFlags.BufferChanged;
            }
            ks.HwCur = hwcur = head; // before the producer: a crash here loses buffers, never lends one twice
            lent = true;
        }

        // Receive into [hwtail, spare).
        uint spare = RingMath.Prev(hwcur, n);
        uint room = RingMath.Distance(hwtail, spare, n);
        uint cons = rx.Consumer;
        uint avail = Volatile.Read(ref rx.Producer) - cons; // acquire: descriptors after the producer
        if (avail > rx.Entries) { ks.BadIndices++; avail = 0; }
        if (avail > room) avail = room;
        if (avail != 0)
        {
            uint bufSize = ring.BufferSize;
            uint received = 0;
            ulong bytes = 0;
            for (uint c = 0; c < avail; c++, cons++)
            {
                var d = rx.Desc(cons); // one copy: the fields cannot change between check and use
                ulong chunk = d.Addr >> _shift;
                uint offset = (uint)d.Addr & _chunkMask;
                if (chunk - NetmapConstants.ReservedBuffers >= bufTotal - NetmapConstants.ReservedBuffers) { ks.BackendDrops++; continue; }
                ref var s = ref Unsafe.Add(ref s0, (nint)hwtail);
                SlotFlags flags = 0;
                if (s.BufferIndex != (uint)chunk)
                {
                    if (!SwapIn(ref s0, n, hwtail, spare, (uint)chunk)) { ks.BackendDrops++; continue; } // not lent: not ours
                    flags = SlotFlags.BufferChanged;
                }
                uint len = d.Len;
                if (len == 0 || len > bufSize - offset)
                {
                    // The slot keeps the chunk and stays kernel-owned: lend it again.
                    fill.Addr(fprod++) = chunk << _shift;
                    lent = true;
                    ks.BackendDrops++;
                    continue;
                }
                if (offset != 0)
                {
                    var buf = ring.Buffer((uint)chunk);
                    buf.Slice((int)offset, (int)len).CopyTo(buf); // overlapping move to the buffer's start
                }
                s.Length = (ushort)len;
                s.Flags = flags;
                bytes += len;
                received++;
                hwtail = hwtail + 1 == n ? 0 : hwtail + 1;
            }
            Volatile.Write(ref rx.Consumer, cons); // the kernel may reuse the descriptors
            ks.Slots += received;
            ks.Bytes += bytes;
        }
        if (lent) Volatile.Write(ref fill.Producer, fprod); // release: the addresses before the producer
        if ((Volatile.Read(ref fill.Flags) & XskSocket.RingNeedWakeup) != 0) XskSocket.KickRx(_fd);
        Volatile.Write(ref ks.HwTail, hwtail);
        snap.HwCur = hwcur;
        snap.HwTail = snap.RTail = hwtail;
        return true;
    }

    /// <summary>txsync: posts [hwcur, head) to the TX ring (whole single-slot frames), kicks the kernel, then frees
    /// the slots whose buffers completed. False when the ring had to be reinitialised.</summary>
    public override bool TxCore(Kring k, ref KringState ks, ref SyncSnapshot snap, uint token)
    {
        var tx = _tx;
        var comp = _comp;
        if (tx is null || comp is null) return true;
        var ring = k.Ring;
        uint n = snap.NumSlots, head = snap.Head;
        uint hwcur = snap.HwCur, hwtail = snap.HwTail;
        ref var s0 = ref ring.Slot(0);
        uint prod = tx.Producer;

        if (hwcur != head)
        {
            uint used = prod - Volatile.Read(ref tx.Consumer);
            uint free = used <= tx.Entries ? tx.Entries - used : 0;
            uint bufTotal = ring.BufferCount, bufSize = ring.BufferSize;
            uint complete = hwcur, posted = 0;
            ulong bytes = 0;
            bool inFrame = false;
            for (uint i = hwcur; i != head && free != 0; i = i + 1 == n ? 0 : i + 1)
            {
                ref var s = ref Unsafe.Add(ref s0, (nint)i);
                var f = s.Flags;
                if ((f & SlotFlags.BufferChanged) != 0) s.Flags = f & ~SlotFlags.BufferChanged;
                bool more = (f & SlotFlags.MoreFragments) != 0;
                if (more || inFrame)
                {
                    // Multi-slot frame: not carried. Counted once, at its last slot.
                    s.Length = 0;
                    inFrame = more;
                    if (!more) { ks.BackendDrops++; complete = i + 1 == n ? 0 : i + 1; }
                    continue;
                }
                uint idx = s.BufferIndex, len = s.Length;
                if (idx - NetmapConstants.ReservedBuffers >= bufTotal - NetmapConstants.ReservedBuffers) { ks.BadIndices++; s.Length = 0; }
                else if (len == 0 || len > bufSize) { ks.BackendDrops++; s.Length = 0; }
                else
                {
                    ref var d = ref tx.Desc(prod++);
                    d.Addr = (ulong)idx << _shift;
                    d.Len = len;
                    d.Options = 0;
                    free--;
                    posted++;
                    bytes += len;
                }
                complete = i + 1 == n ? 0 : i + 1;
            }
            // The producer before hwcur: a sync that dies in between makes the next one post these slots again (sent
            // twice, the extra completions counted as bad); the other order would leave them pending for good.
            Volatile.Write(ref tx.Producer, prod); // release: the descriptors before the producer
            ks.HwCur = hwcur = complete;
            ks.Slots += posted;
            ks.Bytes += bytes;
        }

        // Kick: copy mode always (the generic path sends at most 32 frames per call), else when the kernel asks.
        if (prod != Volatile.Read(ref tx.Consumer) && (_copyMode || (Volatile.Read(ref tx.Flags) & XskSocket.RingNeedWakeup) != 0))
            Kick(tx, prod);

        hwtail = Reclaim(ref ks, ref s0, n, hwtail, hwcur, comp, ring.BufferCount);
        ks.HwTail = hwtail;
        snap.HwCur = hwcur;
        snap.HwTail = snap.RTail = hwtail;
        return true;
    }

    /// <summary>Kicks until the kernel took every posted descriptor, stopped making progress, or said to come back
    /// later (EBUSY, ENOBUFS...); bounded by the ring's size.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Kick(XskRing tx, uint prod)
    {
        uint seen = Volatile.Read(ref tx.Consumer);
        for (int k = 0; k < _maxKicks; k++)
        {
            int r = XskSocket.KickTx(_fd);
            uint now = Volatile.Read(ref tx.Consumer);
            if (now == prod || r != -EAGAIN && r != 0 || now == seen) return;
            seen = now;
        }
    }

    /// <summary>Frees pending slots [hwtail + 1, hwcur): one per completed buffer, plus unposted (length 0) ones
    /// when they are the oldest. Returns the new hwtail.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private uint Reclaim(ref KringState ks, ref NetmapSlot s0, uint n, uint hwtail, uint hwcur, XskRing comp, uint bufTotal)
    {
        uint p = hwtail + 1 == n ? 0 : hwtail + 1;
        while (p != hwcur && Unsafe.Add(ref s0, (nint)p).Length == 0) { hwtail = p; p = p + 1 == n ? 0 : p + 1; }
        uint cons = comp.Consumer;
        uint avail = Volatile.Read(ref comp.Producer) - cons; // acquire: addresses before the producer
        if (avail > comp.Entries) { ks.BadIndices++; return hwtail; }
        for (uint c = 0; c < avail; c++, cons++)
        {
            ulong addr = comp.Addr(cons);
            ulong chunk = addr >> _shift;
            if (p == hwcur || (addr & _chunkMask) != 0 || chunk - NetmapConstants.ReservedBuffers >= bufTotal - NetmapConstants.ReservedBuffers)
            {
                ks.BadIndices++;
                continue;
            }
            if (Unsafe.Add(ref s0, (nint)p).BufferIndex != (uint)chunk && !SwapIn(ref s0, n, p, hwcur, (uint)chunk))
            {
                ks.BadIndices++; // not in flight: not ours
                continue;
            }
            hwtail = p;
            p = p + 1 == n ? 0 : p + 1;
            while (p != hwcur && Unsafe.Add(ref s0, (nint)p).Length == 0) { hwtail = p; p = p + 1 == n ? 0 : p + 1; }
        }
        Volatile.Write(ref comp.Consumer, cons);
        return hwtail;
    }

    /// <summary>The rare path: buffer <paramref name="chunk"/> came back for slot <paramref name="at"/> but another
    /// slot of [at + 1, end) holds it. Swaps the two slots' buffers (NS_BUF_CHANGED on both). False when no slot
    /// of the range holds it.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static bool SwapIn(ref NetmapSlot s0, uint n, uint at, uint end, uint chunk)
    {
        for (uint j = at + 1 == n ? 0 : at + 1; j != end; j = j + 1 == n ? 0 : j + 1)
        {
            ref var other = ref Unsafe.Add(ref s0, (nint)j);
            if (other.BufferIndex != chunk) continue;
            ref var s = ref Unsafe.Add(ref s0, (nint)at);
            other.BufferIndex = s.BufferIndex;
            other.Flags |= SlotFlags.BufferChanged;
            s.BufferIndex = chunk;
            s.Flags |= SlotFlags.BufferChanged;
            return true;
        }
        return false;
    }

    /// <summary>Unmaps the rings; the descriptor belongs to the caller.</summary>
    public override void Dispose()
    {
        _rx?.Dispose(); _fill?.Dispose(); _tx?.Dispose(); _comp?.Dispose();
    }
}
