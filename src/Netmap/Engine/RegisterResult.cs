using Netmap.Interop;
using Netmap.Memory;

namespace Netmap.Engine;

/// <summary>What a REGISTER hands to the host: the region to map, the netmap_if, and the wakeup lines.
/// <c>LocalAdapter</c> is the adapter itself when its txsync must run engine code in the caller (VALE ports of an
/// engine without forwarding workers); only meaningful to an embedded host.</summary>
/// <c>BackendFds</c>: for a Linux interface, the kernel descriptor of each queue (clients run the syncs over them).
internal sealed record RegisterResult(MemoryRegion Region, long NifpOffset, EventFd Kick, EventFd? PeerKick, uint Token,
    Adapters.NetmapAdapter? LocalAdapter = null, int[]? BackendFds = null);
