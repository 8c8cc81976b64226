using System.Runtime.InteropServices;

namespace Netmap.Interop;

/// <summary>struct xdp_desc (16 bytes): one entry of an XSK RX or TX ring. <see cref="Addr"/> is a UMEM offset
/// (chunk * chunk size + offset of the data in the chunk).</summary>
[StructLayout(LayoutKind.Sequential, Size = 16)]
internal struct XdpDesc
{
    public ulong Addr;
    public uint Len;
    public uint Options;
}
