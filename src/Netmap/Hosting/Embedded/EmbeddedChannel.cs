using Netmap.Abi;
using Netmap.Engine;
using Netmap.Interop;

namespace Netmap.Hosting.Embedded;

/// <summary>A channel to an engine living in this process: requests are direct calls, the region is the engine's own mapping.</summary>
internal sealed class EmbeddedChannel : IControlChannel
{
    private readonly NetmapEngine _engine;
    private readonly EngineSession _session;

    /// <summary>A channel for this process: the caller is its own effective uid (pid 0: the calling thread's namespace).</summary>
    public EmbeddedChannel(NetmapEngine engine) : this(engine, "embedded", 0, ProcessInfo.EffectiveUid, isInternal: false) { }

    /// <summary>A channel on behalf of another client (<paramref name="peerPid"/>, <paramref name="peerUid"/>):
    /// what the engine's own clients (an attached interface's bridge) use.</summary>
    public EmbeddedChannel(NetmapEngine engine, string peer, int peerPid, uint peerUid, bool isInternal)
    {
        _engine = engine;
        _session = engine.OpenSession(peer, peerPid, peerUid, isInternal);
    }

    public string Description => "embedded engine";

    /// <summary>The engine is in this process: it cannot go away under the port.</summary>
    public int HangupFd => -1;
    public string? Failure => null;

    public Errno Control(Span<byte> message, out ChannelRegistration? registration, out string? detail)
    {
        registration = null;
        _session.LastError = null;
        var err = _engine.Control(_session, message, out var result);
        detail = _session.LastError;
        if (err == Errno.None && result is not null)
        {
            // Kernel queue descriptors are duplicated: the port's backends must never sync over a number the engine
            // closed (and the kernel reused) when the interface left netmap mode.
            int[]? queues = result.BackendFds?.Select(fd => Libc.fcntl_dupfd(fd, Libc.F_DUPFD_CLOEXEC, 0)).ToArray();
            if (queues is not null && queues.Any(fd => fd < 0))
            {
                foreach (int fd in queues) if (fd >= 0) Libc.close(fd);
                detail = "embedded engine: cannot duplicate a kernel queue descriptor";
                _session.Dispose();
                return Errno.EMFILE;
            }
            registration = new ChannelRegistration(result.Region.Mapping, result.KickWaitFd, result.PeerSignalFd, result.Token,
                queues is null ? null : () => { foreach (int fd in queues) Libc.close(fd); }, result.LocalAdapter, queues);
        }
        return err;
    }

    public void Dispose() => _session.Dispose();
}
