using System.Runtime.InteropServices;

namespace Netmap.Abi;

/// <summary>struct nmreq_register (56 bytes), body of NETMAP_REQ_REGISTER. "in/out" fields are written back on success.</summary>
[StructLayout(LayoutKind.Explicit, Size = 56)]
internal struct NmReqRegister
{
    /// <summary>out: offset of the netmap_if in the region.</summary>
    [FieldOffset(0)] public ulong Offset;
    /// <summary>out: bytes of the region a netmap program maps.</summary>
    [FieldOffset(8)] public ulong MemSize;
    [FieldOffset(16)] public uint TxSlots;
    [FieldOffset(20)] public uint RxSlots;
    [FieldOffset(24)] public ushort TxRings;
    [FieldOffset(26)] public ushort RxRings;
    [FieldOffset(28)] public ushort HostTxRings;
    [FieldOffset(30)] public ushort HostRxRings;
    /// <summary>in: allocator to use (0 = the adapter's own); out: the allocator used.</summary>
    [FieldOffset(32)] public ushort MemId;
    [FieldOffset(34)] public ushort RingId;
    [FieldOffset(36)] public RegisterMode Mode;
    /// <summary>in: extra buffers wanted; out: extra buffers allocated.</summary>
    [FieldOffset(40)] public uint ExtraBufs;
    [FieldOffset(48)] public RegisterFlags Flags;

    public const int Size = 56;
}
