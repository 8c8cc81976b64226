using Netmap.Api;
namespace Netmap;

/// <summary>
/// One port of a VALE switch as NETMAP_REQ_VALE_LIST reports it: the full port name ("vale0:p1") and its
/// switch (nr_bridge_idx) and port slot (nr_port_idx). Indices are valid until the port is detached or destroyed.
/// </summary>
public readonly record struct ValePortListing(string Name, ushort BridgeIndex, uint PortIndex);
