using System.Runtime.InteropServices;

namespace Netmap.Abi;

/// <summary>Our option NETMAP_REQ_OPT_ACCESS (32 bytes): the mode bits (0..0777, a file's owner/group/other r and w)
/// given to every switch, port, pipe and region the request creates; what already exists keeps its own.</summary>
[StructLayout(LayoutKind.Explicit, Size = 32)]
internal struct NmReqOptAccess
{
    [FieldOffset(0)] public NmReqOption Option;
    [FieldOffset(24)] public uint Mode;
    [FieldOffset(28)] public uint Pad;

    public const int Size = 32;
}
