using System.Runtime.CompilerServices;

namespace Netmap.Abi;

/// <summary>char[64] of nmreq_header.nr_name (NETMAP_REQ_IFNAMSIZ); byte 63 is always forced to NUL.</summary>
[InlineArray(NetmapConstants.RequestIfNameSize)]
internal struct RequestName
{
    private byte _element0;
}
