using System.Runtime.InteropServices;

namespace Netmap.Abi;

/// <summary>
/// The 256-byte header of struct netmap_ring; <c>slot[num_slots]</c> follows at offset 256.
/// (k) = written by the kernel side (engine/sync), (u) = written by the user, const = set once at creation.
/// </summary>
[StructLayout(LayoutKind.Explicit, Size = 256)]
internal struct NetmapRingHeader
{
    /// <summary>const: byte distance from this ring to buffer 0 of its allocator.</summary>
    [FieldOffset(0)] public long BufOfs;
    /// <summary>const.</summary>
    [FieldOffset(8)] public uint NumSlots;
    /// <summary>const: size of every buffer object (default 2048).</summary>
    [FieldOffset(12)] public uint BufferSize;
    /// <summary>const: index within its direction (host rings follow the NIC rings).</summary>
    [FieldOffset(16)] public ushort RingId;
    /// <summary>const: 1 for TX rings, 0 for RX rings (kring->tx).</summary>
    [FieldOffset(18)] public ushort Direction;
    /// <summary>(u) first slot owned by the user.</summary>
    [FieldOffset(20)] public uint Head;
    /// <summary>(u) wakeup point, in [head, tail].</summary>
    [FieldOffset(24)] public uint Cur;
    /// <summary>(k) first slot owned by the kernel side; restored by every sync if the user overwrote it.</summary>
    [FieldOffset(28)] public uint Tail;
    /// <summary>(u) NR_TIMESTAMP, NR_FORWARD.</summary>
    [FieldOffset(32)] public RingFlags Flags;
    /// <summary>(k) time of the last rxsync, seconds.</summary>
    [FieldOffset(40)] public long TsSec;
    /// <summary>(k) time of the last rxsync, microseconds.</summary>
    [FieldOffset(48)] public long TsUsec;
    /// <summary>const: 0 unless OPT_OFFSETS.</summary>
    [FieldOffset(56)] public ulong OffsetMask;
    /// <summary>const: 0 unless OPT_OFFSETS.</summary>
    [FieldOffset(64)] public ulong BufAlign;
    // 72..127 padding; 128..255 "sem" (opaque, unused here).

    public const int Size = 256;
    public const int OffsetOfHead = 20, OffsetOfCur = 24, OffsetOfTail = 28, OffsetOfSlots = 256;
    public const int OffsetOfSem = 128;

    /// <summary>Object size of a ring with <paramref name="numSlots"/> slots.</summary>
    public static long ObjectSize(uint numSlots) => Size + (long)NetmapSlot.Size * numSlots;
}
