using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Netmap.Abi;

/// <summary>
/// The 56-byte header of struct netmap_if; <c>ring_ofs[N]</c> (i64 each) follows at offset 56, in the order
/// NIC tx, host tx, NIC rx, host rx. Everything is const after registration except <see cref="BufsHead"/>.
/// </summary>
[StructLayout(LayoutKind.Explicit, Size = 56)]
internal struct NetmapIfHeader
{
    /// <summary>const: adapter name, NUL-terminated, cut to 15 chars.</summary>
    [FieldOffset(0)] public InterfaceName Name;
    /// <summary>never set (0), as in netmap.</summary>
    [FieldOffset(16)] public uint Version;
    /// <summary>const: NI_PRIV_MEM when the allocator is not the global one.</summary>
    [FieldOffset(20)] public InterfaceFlags Flags;
    [FieldOffset(24)] public uint TxRings;
    [FieldOffset(28)] public uint RxRings;
    /// <summary>(u) head of the extra-buffer list: first u32 of each buffer is the next index, 0 ends it.</summary>
    [FieldOffset(32)] public uint BufsHead;
    /// <summary>max(1, host tx rings of the port).</summary>
    [FieldOffset(36)] public uint HostTxRings;
    /// <summary>max(1, host rx rings of the port).</summary>
    [FieldOffset(40)] public uint HostRxRings;
    // 44..55 ni_spare1[3]

    public const int Size = 56;
    public const int OffsetOfRingOfs = 56;
    public const int OffsetOfBufsHead = 32;

    /// <summary>Object length of a netmap_if with <paramref name="rings"/> ring_ofs entries.</summary>
    public static int ObjectSize(int rings) => Size + 8 * rings;
}
