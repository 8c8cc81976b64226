using System.Runtime.InteropServices;

namespace Netmap.Abi;

/// <summary>struct nmreq_vale_list (8 bytes).</summary>
[StructLayout(LayoutKind.Explicit, Size = 8)]
internal struct NmReqValeList
{
    [FieldOffset(0)] public ushort BridgeIndex;
    [FieldOffset(4)] public uint PortIndex;

    public const int Size = 8;
}
