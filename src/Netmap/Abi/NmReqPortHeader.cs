using System.Runtime.InteropServices;

namespace Netmap.Abi;

/// <summary>struct nmreq_port_hdr (8 bytes): virtio-net header length 0, 10 or 12.</summary>
[StructLayout(LayoutKind.Explicit, Size = 8)]
internal struct NmReqPortHeader
{
    [FieldOffset(0)] public uint HeaderLength;

    public const int Size = 8;
}
