using System.Runtime.InteropServices;

namespace Netmap.Abi;

/// <summary>struct nmreq_opt_offsets (56 bytes).</summary>
[StructLayout(LayoutKind.Explicit, Size = 56)]
internal struct NmReqOptOffsets
{
    [FieldOffset(0)] public NmReqOption Option;
    [FieldOffset(24)] public ulong MaxOffset;
    [FieldOffset(32)] public ulong InitialOffset;
    [FieldOffset(40)] public uint OffsetBits;
    [FieldOffset(44)] public uint TxAlign;
    [FieldOffset(48)] public ulong MinGap;

    public const int Size = 56;
}
