using System.Runtime.InteropServices;

namespace Netmap.Interop;

/// <summary>
/// struct tpacket3_hdr (48 bytes): the header of one frame of a TPACKET_V3 ring. RX: written by the kernel
/// before it retires the frame's block; TX: the user fills tp_len (the next_offset stays 0) and hands the frame
/// over by writing <see cref="Status"/> = SEND_REQUEST last; the kernel sets it back to AVAILABLE when done.
/// Lives in memory every process holding the socket can write: readers take each field once and check it.
/// </summary>
[StructLayout(LayoutKind.Explicit, Size = Size)]
internal struct Tpacket3Header
{
    /// <summary>RX: offset from this header to the next frame's in the block (0 for the block's last frame).
    /// TX: must be 0.</summary>
    [FieldOffset(0)] public uint NextOffset;
    [FieldOffset(4)] public uint Sec;
    [FieldOffset(8)] public uint Nsec;
    /// <summary>Bytes of the frame present in the ring (RX).</summary>
    [FieldOffset(12)] public uint SnapLen;
    /// <summary>Length of the frame on the wire (RX), bytes to send (TX).</summary>
    [FieldOffset(16)] public uint Len;
    /// <summary>TP_STATUS_* bits.</summary>
    [FieldOffset(20)] public uint Status;
    /// <summary>RX: offset of the frame's first byte from this header.</summary>
    [FieldOffset(24)] public ushort Mac;
    [FieldOffset(26)] public ushort Net;
    [FieldOffset(28)] public uint RxHash;
    /// <summary>RX: VLAN tag the device stripped, valid with TP_STATUS_VLAN_VALID.</summary>
    [FieldOffset(32)] public uint VlanTci;
    /// <summary>RX: TPID of that tag, valid with TP_STATUS_VLAN_TPID_VALID.</summary>
    [FieldOffset(36)] public ushort VlanTpid;

    public const int Size = 48;
    /// <summary>Where a TX frame's data starts without PACKET_TX_HAS_OFF: TPACKET3_HDRLEN (68) minus sizeof(sockaddr_ll) (20).</summary>
    public const uint TxDataOffset = 48;

    public const uint StatusKernel = 0, StatusUser = 1;
    public const uint StatusAvailable = 0, StatusSendRequest = 1, StatusSending = 2, StatusWrongFormat = 4;
    public const uint StatusVlanValid = 0x10, StatusVlanTpidValid = 0x40;
}
