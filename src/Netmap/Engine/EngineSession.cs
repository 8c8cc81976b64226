namespace Netmap.Engine;

/// <summary>
/// What netmap calls an open /dev/netmap file descriptor: holds at most one registration, released when the
/// session closes (the daemon closes it when the client's connection drops, however the client died).
/// </summary>
internal sealed class EngineSession : IDisposable
{
    private readonly NetmapEngine _engine;

    public EngineSession(NetmapEngine engine, string peer, int peerPid = 0, uint peerUid = 0)
    {
        _engine = engine; Peer = peer; PeerPid = peerPid; PeerUid = peerUid;
    }

    /// <summary>Who is on the other side, for logs ("pid 1234").</summary>
    public string Peer { get; }
    /// <summary>The client process (netmapd's SO_PEERCRED), 0 for the embedded host (the caller is this process):
    /// interfaces are looked up in its network namespace.</summary>
    public int PeerPid { get; }
    public uint PeerUid { get; }
    /// <summary>A session the engine opened for itself (an attached interface's bridge): may bind the VALE port of an
    /// attached interface, which other clients may not.</summary>
    public bool Internal { get; init; }
    public Registration? Registration { get; set; }
    /// <summary>The registration's rings bound in the engine's own mapping, made on the first
    /// <see cref="Abi.RequestType.SessionSync"/> (a client that cannot sync itself); disposed with the registration.</summary>
    public Adapters.PortBinding? SyncBinding { get; set; }
    /// <summary>Detail of the last refused request, for the error message the client shows.</summary>
    public string? LastError { get; set; }
    public bool IsClosed { get; private set; }
    /// <summary>Set by the host before closing: the client's process ended without closing the port (netmapd saw the
    /// connection hang up instead of the client's orderly close). Reported to a pipe's other end.</summary>
    public bool Abandoned { get; set; }

    public void Dispose()
    {
        if (IsClosed) return;
        IsClosed = true;
        _engine.CloseSession(this);
    }
}
