using System.Runtime.InteropServices;

namespace Netmap.Abi;

/// <summary>struct nmreq_pools_info (64 bytes), body of NETMAP_REQ_POOLS_INFO_GET and part of opt_extmem.</summary>
[StructLayout(LayoutKind.Explicit, Size = 64)]
public struct NmReqPoolsInfo
{
    /// <summary>nr_memsize: bytes of the region netmap programs map.</summary>
    [FieldOffset(0)] public ulong MemSize;
    /// <summary>nr_mem_id of the region.</summary>
    [FieldOffset(8)] public ushort MemId;
    /// <summary>Offset of the netmap_if pool in the region.</summary>
    [FieldOffset(16)] public ulong IfPoolOffset;
    /// <summary>Objects in the netmap_if pool.</summary>
    [FieldOffset(24)] public uint IfPoolObjTotal;
    /// <summary>Bytes per netmap_if object.</summary>
    [FieldOffset(28)] public uint IfPoolObjSize;
    /// <summary>Offset of the ring pool.</summary>
    [FieldOffset(32)] public ulong RingPoolOffset;
    /// <summary>Objects in the ring pool.</summary>
    [FieldOffset(40)] public uint RingPoolObjTotal;
    /// <summary>Bytes per ring object (header and slots).</summary>
    [FieldOffset(44)] public uint RingPoolObjSize;
    /// <summary>Offset of the buffer pool (buffer 0).</summary>
    [FieldOffset(48)] public ulong BufPoolOffset;
    /// <summary>Buffers in the pool (0 and 1 are reserved).</summary>
    [FieldOffset(56)] public uint BufPoolObjTotal;
    /// <summary>Bytes per buffer (nr_buf_size).</summary>
    [FieldOffset(60)] public uint BufPoolObjSize;

    /// <summary>sizeof(struct nmreq_pools_info).</summary>
    public const int Size = 64;
}
