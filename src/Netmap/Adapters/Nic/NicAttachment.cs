using Netmap.Memory;
using Netmap.Rings;

namespace Netmap.Adapters.Nic;

/// <summary>
/// The kernel objects that keep one Linux interface in netmap mode, owned by the engine: sockets, XDP program and
/// links. Created after the adapter's rings (RX rings hold their buffers, TX rings theirs), so a backend that lends
/// buffers to the kernel (the AF_XDP fill ring) does it from the RX slots here. Disposing gives the interface back
/// to the host stack: every program is detached, every socket closed.
/// </summary>
internal abstract class NicAttachment : IDisposable
{
    public abstract NicBackendKind Kind { get; }

    /// <summary>Kernel queues served (each gets one TX and one RX netmap ring).</summary>
    public abstract int QueueCount { get; }

    /// <summary>The descriptor of queue <paramref name="queue"/>, handed (by SCM_RIGHTS from netmapd) to every
    /// process that binds the queue's rings; that process builds its <see cref="RingBackend"/> over it.</summary>
    public abstract int QueueFd(int queue);

    /// <summary>Short description for logs and vale-ctl ("AF_XDP copy mode, generic XDP", "AF_PACKET TPACKET_V3").</summary>
    public abstract string Description { get; }

    public abstract void Dispose();
}
