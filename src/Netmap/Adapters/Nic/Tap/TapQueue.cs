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

    /// <summary>The longest chain rxsync builds for one frame (frames of 64 KiB over 64-byte buffers).</summary>
    private const int MaxSpreadSlots = TunTap.MaxFrame / 64 + 2;

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

    /// <summary>txsync: writes the complete frames of [hwcur, head) to the TAP, frees them at once. Each slot's
    /// fields are read once: a one-slot frame is written from its buffer, a chain is gathered into the scratch
    /// buffer while it is measured.</summary>
    public override bool TxCore(Kring k, ref KringState ks, ref SyncSnapshot snap, uint token)
    {
        var ring = k.Ring;
        uint n = snap.NumSlots, head = snap.Head, i = snap.HwCur;
        uint bufSize = ring.BufferSize;
        var scratch = _scratch.AsSpan();
        ulong slots = 0, bytes = 0;
        while (i != head)
        {
            // The frame: [i, last], last being the first slot without NS_MOREFRAG (or the slot before head).
            uint last = i, count = 0;
            int total = 0;
            bool bad = false, tooLong = false, open = false;
            ReadOnlySpan<byte> single = default;
            while (true)
            {
                ref var s = ref ring.Slot(last);
                uint idx = s.BufferIndex, len = s.Length;
                var f = s.Flags;
                count++;
                if (!ring.TryGetBuffer(idx, out var buf) || len > bufSize) bad = true;
                else if (!bad && !tooLong)
                {
                    if (count == 1 && (f & SlotFlags.MoreFragments) == 0) single = buf[..(int)len];
                    else if (total + (int)len > scratch.Length) tooLong = true;
                    else buf[..(int)len].CopyTo(scratch[total..]);
                    total += (int)len;
                }
                if ((f & SlotFlags.MoreFragments) == 0) break;
                uint next = last + 1 == n ? 0 : last + 1;
                if (next == head) { open = true; break; }
                last = next;
            }
            if (open)
            {
                // Unfinished chain: wait for its end, unless it already fills every slot the user can have.
                if ((head + 1 == n ? 0 : head + 1) != i) break;
                ks.BackendDrops++;
            }
            else if (bad) ks.BadIndices++;
            else if (tooLong) ks.BackendDrops++;
            else
            {
                nint w = Write(count == 1 ? single : scratch[..total]);
                if (w == -Libc.EAGAIN) break; // the slots stay pending
                if (w < 0) ks.BackendDrops++; // refused (runt, device down): dropped like a NIC drops it
                else { slots += count; bytes += (ulong)total; }
            }
            for (uint j = i; ; j = j + 1 == n ? 0 : j + 1)
            {
                ref var s = ref ring.Slot(j);
                var f = s.Flags;
                if ((f & SlotFlags.BufferChanged) != 0) s.Flags = f & ~SlotFlags.BufferChanged;
                if (j == last) break;
            }
            i = last + 1 == n ? 0 : last + 1;
        }
        ks.HwCur = snap.HwCur = i;
        ks.HwTail = snap.HwTail = snap.RTail = i == 0 ? n - 1 : i - 1;
        ks.Slots += slots;
        ks.Bytes += bytes;
        return true;
    }

    /// <summary>rxsync: releases [hwcur, head), then reads what the host stack sent on the TAP into
    /// [hwtail, hwcur - 1) until EAGAIN.</summary>
    public override bool RxCore(Kring k, ref KringState ks, ref SyncSnapshot snap, uint token)
    {
        var ring = k.Ring;
        uint n = snap.NumSlots, head = snap.Head, hwcur = snap.HwCur;
        for (uint j = hwcur; j != head; j = j + 1 == n ? 0 : j + 1)
        {
            ref var s = ref ring.Slot(j);
            var f = s.Flags;
            if ((f & SlotFlags.BufferChanged) != 0) s.Flags = f & ~SlotFlags.BufferChanged;
        }
        hwcur = head;
        ks.HwCur = snap.HwCur = hwcur;

        uint i = snap.HwTail, end = hwcur == 0 ? n - 1 : hwcur - 1; // one slot always stays empty
        uint bufSize = ring.BufferSize;
        ulong slots = 0, bytes = 0;
        // Bounds the sync when the host keeps sending frames that cannot be taken, or read(2) keeps being interrupted.
        uint dropped = 0, interrupted = 0;
        while (i != end && dropped < n && interrupted < n)
        {
            ref var s = ref ring.Slot(i);
            if (!ring.TryGetBuffer(s.BufferIndex, out var buf))
            {
                // The user swapped in a bad buffer: hand the slot back empty rather than stall the ring.
                ks.BadIndices++;
                s.BufferIndex = 0; s.Length = 0; s.Flags = 0;
                i = i + 1 == n ? 0 : i + 1;
                continue;
            }
            nint r = TunTap.Read(_fd, buf, _scratch);
            if (r == -Libc.EINTR) { interrupted++; continue; }
            if (r <= 0) break; // EAGAIN: nothing more queued (any other error: the device is gone)
            if (r <= bufSize)
            {
                s.Length = (ushort)r; s.Flags = 0;
                i = i + 1 == n ? 0 : i + 1;
                slots++; bytes += (ulong)r;
                continue;
            }
            uint used = Spread(ring, ref ks, i, end, (int)r);
            if (used == 0) { ks.BackendDrops++; dropped++; continue; } // slot i is reused for the next frame
            i = (i + used) % n;
            slots += used; bytes += (ulong)r;
        }
        ks.Slots += slots;
        ks.Bytes += bytes;
        Volatile.Write(ref ks.HwTail, i);
        snap.HwTail = snap.RTail = i;
        return true;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private nint Write(ReadOnlySpan<byte> frame)
    {
        nint w;
        do w = TunTap.Write(_fd, frame); while (w == -Libc.EINTR);
        return w;
    }

    /// <summary>
    /// A frame of <paramref name="len"/> bytes was read: the first buffer-size bytes into slot <paramref name="first"/>,
    /// the rest into the scratch buffer. Continues it into the following slots (before <paramref name="end"/>) as an
    /// NS_MOREFRAG chain. Returns the slots used, or 0 when the frame was truncated (longer than the scratch buffer),
    /// the free slots cannot hold it, or one of them has an invalid buffer (the frame is then dropped).
    /// </summary>
    private uint Spread(NetmapRing ring, ref KringState ks, uint first, uint end, int len)
    {
        uint n = ring.NumSlots, bufSize = ring.BufferSize;
        int rest = len - (int)bufSize;
        if (rest > _scratch.Length) return 0;
        uint need = 1 + (uint)((rest + bufSize - 1) / bufSize);
        uint free = end >= first ? end - first : end + n - first;
        if (need > free || need > MaxSpreadSlots) return 0;
        // The continuation slots' buffer indices, each read once, all checked before anything is written.
        Span<uint> buffers = stackalloc uint[MaxSpreadSlots];
        for (uint c = 1, j = ring.Next(first); c < need; c++, j = ring.Next(j))
        {
            uint idx = ring.Slot(j).BufferIndex;
            if (!ring.IsValidBuffer(idx)) { ks.BadIndices++; return 0; }
            buffers[(int)c] = idx;
        }
        ref var s0 = ref ring.Slot(first);
        s0.Length = (ushort)bufSize; s0.Flags = SlotFlags.MoreFragments;
        int at = 0;
        for (uint c = 1, j = ring.Next(first); c < need; c++, j = ring.Next(j))
        {
            ref var s = ref ring.Slot(j);
            int chunk = Math.Min(rest - at, (int)bufSize);
            _scratch.AsSpan(at, chunk).CopyTo(ring.Buffer(buffers[(int)c]));
            at += chunk;
            s.Length = (ushort)chunk;
            s.Flags = c + 1 < need ? SlotFlags.MoreFragments : 0;
        }
        return need;
    }
}
