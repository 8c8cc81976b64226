using System.Runtime.CompilerServices;
using Netmap.Abi;
using Netmap.Interop;
using Netmap.Rings;

namespace Netmap.Adapters.Nic.Tap;

/// <summary>
/// The syncs of a TAP queue, run in whichever process binds the rings, over that process's copy of the TAP
/// descriptor (non-blocking: the flag belongs to the open file, shared by every copy).
/// Design: the kernel side is a plain file, one frame per read()/write(), so the only shared state is the krings'
/// hwcur/hwtail (no kernel ring to map, no cursor). This instance holds nothing but the descriptor, the validated
/// geometry and a scratch buffer used within one sync.
/// <list type="bullet">
/// <item>txsync writes each frame of [hwcur, head) (an NS_MOREFRAG chain is gathered into the scratch buffer and
/// written at once; an unfinished chain waits for its last slot); a written slot is free at once
/// (hwtail = hwcur - 1). EAGAIN stops: the slots stay pending for the next txsync. A frame the TAP refuses (shorter
/// than an Ethernet header, device down), a chain longer than <see cref="TunTap.MaxFrame"/> or a chain that fills the
/// whole ring is dropped and counted in <see cref="KringState.BackendDrops"/>; a slot with an invalid buffer index
/// or length drops its frame and is counted in <see cref="KringState.BadIndices"/>.</item>
/// <item>rxsync releases [hwcur, head), then reads frames into [hwtail, hwcur - 1) until EAGAIN. A frame longer than
/// a buffer is read on into the scratch buffer and continued in the next slots as an NS_MOREFRAG chain; when the
/// free slots cannot hold it, it is dropped and counted in <see cref="KringState.BackendDrops"/>.</item>
/// </list>
/// Nothing here allocates or throws once opened.
/// </summary>
internal sealed class TapQueue : RingBackend
{
    /// <summary><see cref="KringState.BackendParam0"/> of TAP rings: frames carry no packet-info or vnet-header prefix.</summary>
    public const uint FormatPlainFrames = 1;

    private readonly int _fd;
    private readonly byte[] _scratch;

    private TapQueue(int fd) { _fd = fd; _scratch = GC.AllocateUninitializedArray<byte>(TunTap.MaxFrame, pinned: true); }

    public override int WaitFd => _fd;

    /// <summary>
    /// Checks that <paramref name="fd"/> is a TAP descriptor (TUNGETIFF: IFF_TAP | IFF_NO_PI, no vnet header), that the
    /// krings are TAP rings of queue 0 written by a TAP attachment, and makes the descriptor non-blocking.
    /// </summary>
    public static TapQueue Open(int fd, Kring? tx, Kring? rx, MappedMemory mem, in RegionLayout layout, string owner)
    {
        if (tx is null && rx is null) throw NetmapException.Create(owner, "TAP queue", Errno.EINVAL, "no ring to serve");
        if (tx is not null) Check(tx, KringKind.TapTx, owner);
        if (rx is not null) Check(rx, KringKind.TapRx, owner);
        if (fd < 0) throw NetmapException.Create(owner, "TAP queue", Errno.EBADF, "no descriptor");
        int flags = TunTap.DeviceFlags(fd, out string dev);
        if (flags < 0)
            throw NetmapException.Create(owner, "TUNGETIFF", Errno.EINVAL, $"descriptor {fd} is not bound to a TUN/TAP device ({SystemError.Name(-flags)})");
        if ((flags & TunTap.IFF_TAP) == 0 || (flags & TunTap.IFF_NO_PI) == 0 || (flags & TunTap.IFF_VNET_HDR) != 0)
            throw NetmapException.Create(owner, "TUNGETIFF", Errno.EINVAL, $"{dev} has flags 0x{flags:x}, expected a TAP without packet info or vnet header");
        int nb = TunTap.EnsureNonBlocking(fd);
        if (nb != 0) throw NetmapException.Create(owner, "fcntl O_NONBLOCK", Errno.EINVAL, SystemError.Name(-nb));
        return new TapQueue(fd);
    }

    private static void Check(Kring k, KringKind kind, string owner)
    {
        ref var ks = ref k.State;
        // The queue index is not checked: a TAP device's own rings are queue 0, an interface's host rings (served
        // through a hidden TAP) come after its hardware queues; the descriptor itself names the device.
        if (k.Kind != kind || ks.BackendParam0 != FormatPlainFrames)
            throw NetmapException.Create(owner, "TAP queue", Errno.EINVAL,
                $"ring {k.Index} is {k.Kind} with format {ks.BackendParam0}, expected {kind} with format {FormatPlainFrames}");
    }

    /// <summary>txsync: writes the complete frames of [hwcur, head) to the TAP, frees them at once. False when the
    /// ring had to be reinitialised.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override bool TxSync(Kring k, uint token)
    {
        ref var ks = ref k.State;
        if (Interlocked.CompareExchange(ref ks.SyncLock, token, 0) != 0) return true; // busy: another fd is syncing
        try
        {
            var ring = k.Ring;
            ref var rh = ref ring.Header;
            uint n = k.NumSlots;
            if (!SyncPrologue.Tx(ref rh, ref ks, n, out uint head))
            {
                SyncPrologue.Reinit(ring, ref ks);
                return false;
            }
            uint hwcur = ks.HwCur, i = hwcur;
            uint bufSize = ring.BufferSize;
            ulong slots = 0, bytes = 0;
            while (i != head)
            {
                // The frame: [i, last], last being the first slot without NS_MOREFRAG.
                uint last = i, count = 1;
                int total = 0;
                bool bad = false;
                while (true)
                {
                    ref var s = ref ring.Slot(last);
                    if (!ring.IsValidBuffer(s.BufferIndex) || s.Length > bufSize) bad = true;
                    else total += s.Length;
                    if ((s.Flags & SlotFlags.MoreFragments) == 0) break;
                    uint next = last + 1 == n ? 0 : last + 1;
                    if (next == head) { last = uint.MaxValue; break; }
                    last = next; count++;
                }
                if (last == uint.MaxValue)
                {
                    // Unfinished chain: wait for its end, unless it already fills every slot the user can have.
                    if ((head + 1 == n ? 0 : head + 1) != i) break;
                    ks.BackendDrops++;
                    last = head == 0 ? n - 1 : head - 1;
                }
                else if (bad) ks.BadIndices++;
                else if (total > _scratch.Length) ks.BackendDrops++;
                else
                {
                    nint w = count == 1 ? Write(ring.Buffer(ring.Slot(i).BufferIndex)[..total]) : Write(Gather(ring, i, count, total));
                    if (w == -Libc.EAGAIN) break; // the slots stay pending
                    if (w < 0) ks.BackendDrops++; // refused (runt, device down): dropped like a NIC drops it
                    else { slots += count; bytes += (ulong)total; }
                }
                for (uint j = i; ; j = j + 1 == n ? 0 : j + 1)
                {
                    ref var s = ref ring.Slot(j);
                    if ((s.Flags & SlotFlags.BufferChanged) != 0) s.Flags &= ~SlotFlags.BufferChanged;
                    if (j == last) break;
                }
                i = last + 1 == n ? 0 : last + 1;
            }
            ks.HwCur = i;
            ks.HwTail = i == 0 ? n - 1 : i - 1;
            ks.Slots += slots;
            ks.Bytes += bytes;
            rh.Tail = ks.RTail = ks.HwTail;
            return true;
        }
        finally
        {
            Volatile.Write(ref ks.SyncLock, 0);
        }
    }

    /// <summary>rxsync: releases [hwcur, head), then reads what the host stack sent on the TAP into
    /// [hwtail, hwcur - 1) until EAGAIN. Stamps ring.ts. False when the ring had to be reinitialised.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public override bool RxSync(Kring k, uint token)
    {
        ref var ks = ref k.State;
        if (Interlocked.CompareExchange(ref ks.SyncLock, token, 0) != 0) return true;
        try
        {
            var ring = k.Ring;
            ref var rh = ref ring.Header;
            uint n = k.NumSlots;
            bool ok = SyncPrologue.Rx(ref rh, ref ks, n, out uint head);
            if (!ok)
            {
                SyncPrologue.Reinit(ring, ref ks);
                head = ks.HwCur; // release nothing new, still receive
            }
            uint hwcur = ks.HwCur;
            for (uint j = hwcur; j != head; j = j + 1 == n ? 0 : j + 1)
            {
                ref var s = ref ring.Slot(j);
                if ((s.Flags & SlotFlags.BufferChanged) != 0) s.Flags &= ~SlotFlags.BufferChanged;
            }
            hwcur = head;
            ks.HwCur = hwcur;

            uint i = ks.HwTail, end = hwcur == 0 ? n - 1 : hwcur - 1; // one slot always stays empty
            if (i >= n) { ks.BadIndices++; i = end; }
            uint bufSize = ring.BufferSize;
            ulong slots = 0, bytes = 0;
            uint dropped = 0; // bounds the sync when the host keeps sending frames that cannot be taken
            while (i != end && dropped < n)
            {
                ref var s = ref ring.Slot(i);
                if (!ring.IsValidBuffer(s.BufferIndex))
                {
                    // The user swapped in a bad buffer: hand the slot back empty rather than stall the ring.
                    ks.BadIndices++;
                    s.BufferIndex = 0; s.Length = 0; s.Flags = 0;
                    i = i + 1 == n ? 0 : i + 1;
                    continue;
                }
                nint r = TunTap.Read(_fd, ring.Buffer(s.BufferIndex), _scratch);
                if (r == -Libc.EINTR) continue;
                if (r <= 0) break; // EAGAIN: nothing more queued (any other error: the device is gone)
                if (r <= bufSize)
                {
                    s.Length = (ushort)r; s.Flags = 0;
                    i = i + 1 == n ? 0 : i + 1;
                    slots++; bytes += (ulong)r;
                    continue;
                }
                uint used = Spread(ring, i, end, (int)r);
                if (used == 0) { ks.BackendDrops++; dropped++; continue; } // slot i is reused for the next frame
                i = (i + used) % n;
                slots += used; bytes += (ulong)r;
            }
            ks.Slots += slots;
            ks.Bytes += bytes;
            Volatile.Write(ref ks.HwTail, i);
            SyncPrologue.RxPublishTail(ref rh, ref ks, n, head);
            return ok;
        }
        finally
        {
            Volatile.Write(ref ks.SyncLock, 0);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private nint Write(ReadOnlySpan<byte> frame)
    {
        nint w;
        do w = TunTap.Write(_fd, frame); while (w == -Libc.EINTR);
        return w;
    }

    /// <summary>Copies the <paramref name="count"/> fragments starting at slot <paramref name="first"/> (validated by
    /// the caller, <paramref name="total"/> bytes, at most the scratch size) into the scratch buffer.</summary>
    private ReadOnlySpan<byte> Gather(NetmapRing ring, uint first, uint count, int total)
    {
        int at = 0;
        for (uint c = 0, j = first; c < count; c++, j = ring.Next(j))
        {
            ref var s = ref ring.Slot(j);
            ring.Buffer(s.BufferIndex)[..s.Length].CopyTo(_scratch.AsSpan(at));
            at += s.Length;
        }
        return _scratch.AsSpan(0, total);
    }

    /// <summary>
    /// A frame of <paramref name="len"/> bytes was read: the first buffer-size bytes into slot <paramref name="first"/>,
    /// the rest into the scratch buffer. Continues it into the following slots (before <paramref name="end"/>) as an
    /// NS_MOREFRAG chain. Returns the slots used, or 0 when the frame was truncated (longer than the scratch buffer),
    /// the free slots cannot hold it, or one of them has an invalid buffer (the frame is then dropped).
    /// </summary>
    private uint Spread(NetmapRing ring, uint first, uint end, int len)
    {
        uint n = ring.NumSlots, bufSize = ring.BufferSize;
        int rest = len - (int)bufSize;
        if (rest > _scratch.Length) return 0;
        uint need = 1 + (uint)((rest + bufSize - 1) / bufSize);
        uint free = end >= first ? end - first : end + n - first;
        if (need > free) return 0;
        for (uint c = 1, j = ring.Next(first); c < need; c++, j = ring.Next(j))
            if (!ring.IsValidBuffer(ring.Slot(j).BufferIndex)) return 0;
        ref var s0 = ref ring.Slot(first);
        s0.Length = (ushort)bufSize; s0.Flags = SlotFlags.MoreFragments;
        int at = 0;
        for (uint c = 1, j = ring.Next(first); c < need; c++, j = ring.Next(j))
        {
            ref var s = ref ring.Slot(j);
            int chunk = Math.Min(rest - at, (int)bufSize);
            _scratch.AsSpan(at, chunk).CopyTo(ring.Buffer(s.BufferIndex));
            at += chunk;
            s.Length = (ushort)chunk;
            s.Flags = c + 1 < need ? SlotFlags.MoreFragments : 0;
        }
        return need;
    }
}
