namespace Netmap.Engine;

/// <summary>
/// What netmap calls an open /dev/netmap file descriptor: holds at most one registration, released when the
/// session closes (the daemon closes it when the client's connection drops, however the client died).
/// </summary>
internal sealed class EngineSession : IDisposable
{
    private readonly NetmapEngine _engine;

    public EngineSession(NetmapEngine engine, string peer) { _engine = engine; Peer = peer; }

    /// <summary>Who is on the other side, for logs ("pid 1234").</summary>
    public string Peer { get; }
    public Registration? Registration { get; set; }
    /// <summary>Detail of the last refused request, for the error message the client shows.</summary>
    public string? LastError { get; set; }
    public bool IsClosed { get; private set; }

    public void Dispose()
    {
        if (IsClosed) return;
        IsClosed = true;
        _engine.CloseSession(this);
    }
}
