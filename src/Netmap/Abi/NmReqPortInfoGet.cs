using System.Runtime.InteropServices;

namespace Netmap.Abi;

/// <summary>struct nmreq_port_info_get (32 bytes), body of NETMAP_REQ_PORT_INFO_GET.</summary>
[StructLayout(LayoutKind.Explicit, Size = 32)]
public struct NmReqPortInfoGet
{
    /// <summary>nr_memsize of the port's region.</summary>
    [FieldOffset(0)] public ulong MemSize;
    /// <summary>Slots per TX ring.</summary>
    [FieldOffset(8)] public uint TxSlots;
    /// <summary>Slots per RX ring.</summary>
    [FieldOffset(12)] public uint RxSlots;
    /// <summary>Hardware (non-host) TX rings.</summary>
    [FieldOffset(16)] public ushort TxRings;
    /// <summary>Hardware (non-host) RX rings.</summary>
    [FieldOffset(18)] public ushort RxRings;
    /// <summary>Host TX rings (toward the host stack).</summary>
    [FieldOffset(20)] public ushort HostTxRings;
    /// <summary>Host RX rings (from the host stack).</summary>
    [FieldOffset(22)] public ushort HostRxRings;
    /// <summary>nr_mem_id of the port's region (in: 0, or the region to ask about).</summary>
    [FieldOffset(24)] public ushort MemId;

    /// <summary>sizeof(struct nmreq_port_info_get).</summary>
    public const int Size = 32;
}
