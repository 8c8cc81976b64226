using System.Runtime.InteropServices;

namespace Netmap.Interop;

/// <summary>
/// struct tpacket_block_desc with its tpacket_hdr_v1 (48 bytes): the head of one TPACKET_V3 RX block. The kernel
/// fills the block, then publishes it by setting TP_STATUS_USER in <see cref="BlockStatus"/>; the reader gives it
/// back by writing TP_STATUS_KERNEL there after it has read every frame. Writable by every process holding the
/// socket: readers check <see cref="NumPkts"/> and the offsets against the block size.
/// </summary>
[StructLayout(LayoutKind.Explicit, Size = Size)]
internal struct TpacketBlockDesc
{
    [FieldOffset(0)] public uint Version;
    [FieldOffset(4)] public uint OffsetToPriv;
    [FieldOffset(8)] public uint BlockStatus;
    [FieldOffset(12)] public uint NumPkts;
    [FieldOffset(16)] public uint OffsetToFirstPkt;
    [FieldOffset(20)] public uint BlkLen;
    [FieldOffset(24)] public ulong SeqNum;

    public const int Size = 48;
}
