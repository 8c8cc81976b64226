using Netmap.Abi;
namespace Netmap;

/// <summary>netmap_ring.flags, written by the user.</summary>
[Flags]
public enum RingFlags : uint
{
    /// <summary>No flag.</summary>
    None = 0,
    /// <summary>NR_TIMESTAMP: stamp ring.ts on every sync.</summary>
    Timestamp = 0x2,
    /// <summary>NR_FORWARD: enable transparent forwarding of NS_FORWARD slots.</summary>
    Forward = 0x4,
}
