using System.Runtime.InteropServices;

namespace Netmap.Abi;

/// <summary>struct nmreq_opt_extmem (96 bytes).</summary>
[StructLayout(LayoutKind.Explicit, Size = 96)]
internal struct NmReqOptExtMem
{
    [FieldOffset(0)] public NmReqOption Option;
    [FieldOffset(24)] public ulong UserPtr;
    [FieldOffset(32)] public NmReqPoolsInfo Info;

    public const int Size = 96;
}
