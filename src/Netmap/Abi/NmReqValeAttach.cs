using System.Runtime.InteropServices;

namespace Netmap.Abi;

/// <summary>struct nmreq_vale_attach (64 bytes).</summary>
[StructLayout(LayoutKind.Explicit, Size = 64)]
internal struct NmReqValeAttach
{
    [FieldOffset(0)] public NmReqRegister Register;
    /// <summary>out.</summary>
    [FieldOffset(56)] public uint PortIndex;

    public const int Size = 64;
}
