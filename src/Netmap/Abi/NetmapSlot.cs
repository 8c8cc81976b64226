using System.Runtime.InteropServices;
using Netmap.Abi;

namespace Netmap;

/// <summary>
/// struct netmap_slot (16 bytes). Owned by the user while the slot is in [head, tail) of its ring, by the
/// kernel side (engine or peer sync) otherwise; the owner is the only writer.
/// </summary>
[StructLayout(LayoutKind.Explicit, Size = 16)]
public struct NetmapSlot
{
    /// <summary>buf_idx: index of the buffer in the ring's allocator. Set NS_BUF_CHANGED when you replace it.</summary>
    [FieldOffset(0)] public uint BufferIndex;
    /// <summary>len: bytes of this fragment in the buffer.</summary>
    [FieldOffset(4)] public ushort Length;
    /// <summary>flags: NS_* bits.</summary>
    [FieldOffset(6)] public SlotFlags Flags;
    /// <summary>ptr: user address for NS_INDIRECT, or the per-slot offset bits with OPT_OFFSETS.</summary>
    [FieldOffset(8)] public ulong Ptr;

    /// <summary>sizeof(struct netmap_slot).</summary>
    public const int Size = 16;
}
