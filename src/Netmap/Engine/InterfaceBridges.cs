namespace Netmap.Engine;

/// <summary>
/// How the engine makes an <see cref="IInterfaceBridge"/>: the bridge is a client of the engine built with the
/// public port API (a layer above), so that layer installs the factory (a module initializer in
/// Api/AttachedInterface.cs) and the engine depends only on this interface.
/// Arguments: the engine, the VALE port name ("vale0:veth0"), the interface name, its backend, and the session the ports must be
/// opened with (the requester's pid and uid: namespace and policy are the requester's).
/// </summary>
internal static class InterfaceBridges
{
    public static Func<NetmapEngine, string, string, NicBackendKind, int, uint, IInterfaceBridge>? Factory { get; set; }
}
