using System.Runtime.InteropServices;

namespace Netmap.Abi;

/// <summary>struct nmreq_opt_csb (40 bytes).</summary>
[StructLayout(LayoutKind.Explicit, Size = 40)]
internal struct NmReqOptCsb
{
    [FieldOffset(0)] public NmReqOption Option;
    [FieldOffset(24)] public ulong CsbAtok;
    [FieldOffset(32)] public ulong CsbKtoa;

    public const int Size = 40;
}
