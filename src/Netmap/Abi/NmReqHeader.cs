using System.Runtime.InteropServices;
using System.Text;

namespace Netmap.Abi;

/// <summary>struct nmreq_header (88 bytes): the envelope of every NIOCCTRL request.</summary>
/// <remarks>On the netmapd socket the two pointer fields carry byte offsets within the message (0 = NULL).</remarks>
[StructLayout(LayoutKind.Explicit, Size = 88)]
internal struct NmReqHeader
{
    [FieldOffset(0)] public ushort Version;
    [FieldOffset(2)] public RequestType RequestType;
    /// <summary>must be 0, else EINVAL.</summary>
    [FieldOffset(4)] public uint Reserved;
    [FieldOffset(8)] public RequestName Name;
    /// <summary>pointer to the first nmreq_option (offset within the message on the netmapd socket).</summary>
    [FieldOffset(72)] public ulong Options;
    /// <summary>pointer to the body (offset within the message on the netmapd socket).</summary>
    [FieldOffset(80)] public ulong Body;

    public const int Size = 88;

    /// <summary>The name up to the first NUL (at most 63 bytes), decoded as ASCII/UTF-8.</summary>
    public readonly string GetName()
    {
        ReadOnlySpan<byte> n = Name;
        n = n[..(NetmapConstants.RequestIfNameSize - 1)];
        int end = n.IndexOf((byte)0);
        return Encoding.UTF8.GetString(end < 0 ? n : n[..end]);
    }

    /// <summary>Sets the name; false when it does not fit in 63 bytes (nothing is changed then).</summary>
    public bool TrySetName(string name)
    {
        int len = Encoding.UTF8.GetByteCount(name);
        if (len >= NetmapConstants.RequestIfNameSize) return false;
        Span<byte> n = Name;
        n.Clear();
        Encoding.UTF8.GetBytes(name, n);
        return true;
    }
}
