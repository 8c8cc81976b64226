using Netmap.Adapters.Nic;
namespace Netmap;

/// <summary>How a Linux interface is put into netmap mode.</summary>
public enum NicBackendKind
{
    /// <summary>AF_XDP first (XDP program through bpf_link, one XSK per queue, UMEM = the port's buffers); AF_PACKET if
    /// AF_XDP cannot be set up on the interface.</summary>
    Auto = 0,
    /// <summary>AF_XDP only (<c>@conf:backend=xdp</c>).</summary>
    Xdp = 1,
    /// <summary>AF_PACKET TPACKET_V3 (<c>@conf:backend=afpacket</c>), one ring pair.</summary>
    Packet = 2,
    /// <summary>A TAP device: the rings exchange frames with the host stack through the TAP descriptor.</summary>
    Tap = 3,
}
