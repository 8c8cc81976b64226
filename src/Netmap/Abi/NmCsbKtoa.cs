using System.Runtime.InteropServices;

namespace Netmap.Abi;

/// <summary>struct nm_csb_ktoa (64 bytes): written by the kernel side.</summary>
[StructLayout(LayoutKind.Explicit, Size = 64)]
internal struct NmCsbKtoa
{
    [FieldOffset(0)] public uint HwCur;
    [FieldOffset(4)] public uint HwTail;
    [FieldOffset(8)] public uint KernNeedKick;

    public const int Size = 64;
}
