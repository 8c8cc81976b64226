using Netmap.Interop;
using Netmap.Memory;

namespace Netmap.Engine;

/// <summary>What a REGISTER hands to the host: the region to map, the netmap_if, and the wakeup lines.</summary>
internal sealed record RegisterResult(MemoryRegion Region, long NifpOffset, EventFd Kick, EventFd? PeerKick, uint Token);
