using System.Runtime.InteropServices;

namespace Netmap.Abi;

/// <summary>struct nm_csb_atok (64 bytes): written by the application.</summary>
[StructLayout(LayoutKind.Explicit, Size = 64)]
internal struct NmCsbAtok
{
    [FieldOffset(0)] public uint Head;
    [FieldOffset(4)] public uint Cur;
    [FieldOffset(8)] public uint ApplNeedKick;
    [FieldOffset(12)] public uint SyncFlags;

    public const int Size = 64;
}
