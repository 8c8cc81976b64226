using Netmap.Adapters;
using Netmap.Interop;

namespace Netmap.Interpose;

/// <summary>
/// One registered netmap descriptor of a C program, seen from this library: its own mapping of the region (shared
/// with other ports of the same memfd, as libnetmap maps once per mem_id) and the <see cref="PortBinding"/> over it.
/// </summary>
internal sealed class InterposedPort : IDisposable
{
    private readonly MappedMemory _map;
    private bool _disposed;

    private InterposedPort(MappedMemory map, PortBinding binding) { _map = map; Binding = binding; }

    public PortBinding Binding { get; }

    public static InterposedPort Open(int memFd, long memSize, long nifpOffset, int kickFd, int peerKickFd, int[] queues, uint token, bool txPoll, string owner)
    {
        int own = Libc.fcntl_dupfd(memFd, Libc.F_DUPFD_CLOEXEC, 0);
        if (own < 0) throw SystemError.Last(owner, "dup of the region memfd");
        // Refused unless sealed against resizing and as large as the region described (no SIGBUS later).
        var map = SharedRegionCache.Acquire(own, memSize + Memory.RegionHeader.Size, owner);
        // The mapping outlives its descriptor: hold none that a close-all loop of the program could close under us
        // (the interposer keeps the region's memfd itself, as a hidden descriptor).
        map.CloseDescriptor();
        try
        {
            var binding = new PortBinding(map, memSize, nifpOffset, kickFd, peerKickFd, queues, token, txPoll, localAdapter: null, spin: null, owner);
            return new InterposedPort(map, binding);
        }
        catch
        {
            SharedRegionCache.Release(map);
            throw;
        }
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        Binding.Dispose();
        SharedRegionCache.Release(_map);
    }
}
