namespace Netmap.Memory;

/// <summary>What a caller wants to do with an object (the r and w bits of its <see cref="ObjectAccess.Mode"/>).</summary>
internal enum AccessRight
{
    /// <summary>r: see it in listings and info requests (VALE_LIST, PORT_INFO_GET, POOLS_INFO_GET, PORT_HDR_GET, stats).</summary>
    See = 4,
    /// <summary>w: use it — open or bind it, monitor it, put a port into its region (@N, @share=), add a port to a
    /// switch, attach, detach, delete, change polling or the virtio-net header.</summary>
    Use = 2,
}
