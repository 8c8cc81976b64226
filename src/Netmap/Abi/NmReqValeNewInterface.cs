using System.Runtime.InteropServices;

namespace Netmap.Abi;

/// <summary>struct nmreq_vale_newif (16 bytes).</summary>
[StructLayout(LayoutKind.Explicit, Size = 16)]
public struct NmReqValeNewInterface
{
    /// <summary>Slots per TX ring (0 = the default, 1024).</summary>
    [FieldOffset(0)] public uint TxSlots;
    /// <summary>Slots per RX ring (0 = the default).</summary>
    [FieldOffset(4)] public uint RxSlots;
    /// <summary>TX rings (0 = 1).</summary>
    [FieldOffset(8)] public ushort TxRings;
    /// <summary>RX rings (0 = 1).</summary>
    [FieldOffset(10)] public ushort RxRings;
    /// <summary>Region to allocate in (0 = a private one); written back with the region used.</summary>
    [FieldOffset(12)] public ushort MemId;

    /// <summary>sizeof(struct nmreq_vale_newif).</summary>
    public const int Size = 16;
}
