using Netmap.Interop;
using Netmap.Memory;

namespace Netmap.Engine;

/// <summary>What a REGISTER hands to the host: the region to map, the netmap_if, and the wakeup lines (the wait end
/// of the adapter's own kick line, the signal end of its peer's or -1).
/// <c>LocalAdapter</c> is the adapter itself when its txsync must run engine code in the caller (VALE ports of an
/// engine without forwarding workers); only meaningful to an embedded host.</summary>
/// <c>BackendFds</c>: for a Linux interface, the kernel descriptor of each queue (clients run the syncs over them).
internal sealed record RegisterResult(MemoryRegion Region, long NifpOffset, int KickWaitFd, int PeerSignalFd, uint Token,
    Adapters.NetmapAdapter? LocalAdapter = null, int[]? BackendFds = null);
