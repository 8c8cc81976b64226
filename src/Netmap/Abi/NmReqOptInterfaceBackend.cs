using System.Runtime.InteropServices;

namespace Netmap.Abi;

/// <summary>Our option NETMAP_REQ_OPT_IF_BACKEND (32 bytes): which kernel mechanism puts a Linux interface into
/// netmap mode (0 auto, 1 AF_XDP, 2 AF_PACKET). Ignored (accepted) for ports that are not Linux interfaces.</summary>
[StructLayout(LayoutKind.Explicit, Size = 32)]
internal struct NmReqOptInterfaceBackend
{
    [FieldOffset(0)] public NmReqOption Option;
    [FieldOffset(24)] public uint Backend;
    [FieldOffset(28)] public uint Pad;

    public const int Size = 32;
}
