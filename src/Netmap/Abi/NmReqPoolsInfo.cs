using System.Runtime.InteropServices;

namespace Netmap.Abi;

/// <summary>struct nmreq_pools_info (64 bytes), body of NETMAP_REQ_POOLS_INFO_GET and part of opt_extmem.</summary>
[StructLayout(LayoutKind.Explicit, Size = 64)]
public struct NmReqPoolsInfo
{
    [FieldOffset(0)] public ulong MemSize;
    [FieldOffset(8)] public ushort MemId;
    [FieldOffset(16)] public ulong IfPoolOffset;
    [FieldOffset(24)] public uint IfPoolObjTotal;
    [FieldOffset(28)] public uint IfPoolObjSize;
    [FieldOffset(32)] public ulong RingPoolOffset;
    [FieldOffset(40)] public uint RingPoolObjTotal;
    [FieldOffset(44)] public uint RingPoolObjSize;
    [FieldOffset(48)] public ulong BufPoolOffset;
    [FieldOffset(56)] public uint BufPoolObjTotal;
    [FieldOffset(60)] public uint BufPoolObjSize;

    public const int Size = 64;
}
