using System.Runtime.InteropServices;

namespace Netmap.Interop;

/// <summary>struct xdp_mmap_offsets (getsockopt XDP_MMAP_OFFSETS): the layout of the four rings of an XSK.
/// Read from the kernel every time, never hard-coded.</summary>
[StructLayout(LayoutKind.Sequential, Size = 128)]
internal struct XskMmapOffsets
{
    public XskRingOffset Rx;
    public XskRingOffset Tx;
    public XskRingOffset Fill;
    public XskRingOffset Completion;
}
