using Netmap.Adapters.Vale;
namespace Netmap;

/// <summary>
/// A VALE switch's forwarding decision (netmap's lookup callback of netmap_bdg_regops). Called by the switch for
/// every packet a port sends, on a forwarding thread (several may call it at once for different source rings):
/// implementations must be thread-safe, must not block, and should allocate nothing.
/// Install it with <see cref="NetmapEngine.SetValeLookup"/> (embedded engine) or netmapd's
/// <c>--vale-lookup</c> plugin option.
/// </summary>
public interface IValeLookup
{
    /// <summary>
    /// Chooses where <paramref name="frame"/> goes. <paramref name="frame"/> is the packet's first fragment after
    /// the source port's virtio-net header (at least 14 bytes: shorter frames are dropped before the lookup);
    /// <paramref name="sourcePort"/> is the sender's port index. Return a port index (0..253), 
    /// <see cref="ValeDestination.Broadcast"/> (every port but the source) or <see cref="ValeDestination.Drop"/>.
    /// <paramref name="destinationRing"/> starts as the source ring index and may be changed (it is taken modulo
    /// the destination's RX rings).
    /// </summary>
    byte Lookup(ReadOnlySpan<byte> frame, byte sourcePort, ref byte destinationRing);
}
