using Netmap.Adapters.Vale;
namespace Netmap;

/// <summary>The special results of <see cref="IValeLookup.Lookup"/> (NM_BDG_BROADCAST, NM_BDG_NOPORT).</summary>
public static class ValeDestination
{
    /// <summary>Send to every other port of the switch.</summary>
    public const byte Broadcast = Abi.NetmapConstants.BridgeBroadcast;
    /// <summary>Drop the packet (any value at or above this one drops).</summary>
    public const byte Drop = Abi.NetmapConstants.BridgeNoPort;
}
