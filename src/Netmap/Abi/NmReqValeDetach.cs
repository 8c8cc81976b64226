using System.Runtime.InteropServices;

namespace Netmap.Abi;

/// <summary>struct nmreq_vale_detach (8 bytes).</summary>
[StructLayout(LayoutKind.Explicit, Size = 8)]
internal struct NmReqValeDetach
{
    /// <summary>out.</summary>
    [FieldOffset(0)] public uint PortIndex;

    public const int Size = 8;
}
