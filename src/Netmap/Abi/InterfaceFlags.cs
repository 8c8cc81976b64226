using Netmap.Abi;
namespace Netmap;

/// <summary>netmap_if.ni_flags.</summary>
[Flags]
public enum InterfaceFlags : uint
{
    /// <summary>No flag.</summary>
    None = 0,
    /// <summary>NI_PRIV_MEM: the port lives in a private allocator (mem_id != 1).</summary>
    PrivateMemory = 0x1,
}
