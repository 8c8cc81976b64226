using System.Runtime.InteropServices;

namespace Netmap.Abi;

/// <summary>struct nmreq_vale_newif (16 bytes).</summary>
[StructLayout(LayoutKind.Explicit, Size = 16)]
public struct NmReqValeNewInterface
{
    [FieldOffset(0)] public uint TxSlots;
    [FieldOffset(4)] public uint RxSlots;
    [FieldOffset(8)] public ushort TxRings;
    [FieldOffset(10)] public ushort RxRings;
    [FieldOffset(12)] public ushort MemId;

    public const int Size = 16;
}
