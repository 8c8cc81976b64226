using System.Runtime.InteropServices;

namespace Netmap.Interop;

/// <summary>struct xdp_ring_offset: where producer, consumer, flags and the entries lie in a mapped XSK ring.</summary>
[StructLayout(LayoutKind.Sequential, Size = 32)]
internal struct XskRingOffset
{
    public ulong Producer;
    public ulong Consumer;
    public ulong Desc;
    public ulong Flags;
}
