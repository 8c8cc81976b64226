using System.Runtime.CompilerServices;

namespace Netmap.Abi;

/// <summary>char[16] of netmap_if.ni_name.</summary>
[InlineArray(16)]
internal struct InterfaceName
{
    private byte _element0;
}
