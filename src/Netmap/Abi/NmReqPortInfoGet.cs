using System.Runtime.InteropServices;

namespace Netmap.Abi;

/// <summary>struct nmreq_port_info_get (32 bytes), body of NETMAP_REQ_PORT_INFO_GET.</summary>
[StructLayout(LayoutKind.Explicit, Size = 32)]
public struct NmReqPortInfoGet
{
    [FieldOffset(0)] public ulong MemSize;
    [FieldOffset(8)] public uint TxSlots;
    [FieldOffset(12)] public uint RxSlots;
    [FieldOffset(16)] public ushort TxRings;
    [FieldOffset(18)] public ushort RxRings;
    [FieldOffset(20)] public ushort HostTxRings;
    [FieldOffset(22)] public ushort HostRxRings;
    [FieldOffset(24)] public ushort MemId;

    public const int Size = 32;
}
