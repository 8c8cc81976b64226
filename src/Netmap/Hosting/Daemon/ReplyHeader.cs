using System.Runtime.InteropServices;

namespace Netmap.Hosting.Daemon;

/// <summary>
/// netmapd's reply envelope: this 24-byte header, then the request message as the engine wrote it back
/// (netmap's structs byte for byte), then <see cref="DetailLength"/> bytes of UTF-8 explaining a refusal.
/// A REGISTER reply carries descriptors with SCM_RIGHTS, in this order: the region memfd, the port's wakeup
/// kick line, (pipes, VALE ports in netmapd) the peer kick line, then (Linux interfaces) <see cref="BackendFds"/>
/// kernel queue descriptors in queue order.
/// </summary>
[StructLayout(LayoutKind.Explicit, Size = 24)]
internal struct ReplyHeader
{
    public const int Size = 24;
    public const int MaxDetail = 512;

    /// <summary>0 or the errno of the request.</summary>
    [FieldOffset(0)] public int Errno;
    /// <summary>Sync token of the registration (REGISTER only).</summary>
    [FieldOffset(4)] public uint Token;
    [FieldOffset(8)] public int MessageLength;
    [FieldOffset(12)] public int DetailLength;
    /// <summary>How many of the descriptors are kernel queue descriptors (the last ones).</summary>
    [FieldOffset(16)] public int BackendFds;
    [FieldOffset(20)] public int Reserved;
}
