namespace Netmap.Hosting.Daemon;

/// <summary>
/// Who answers the requests <see cref="DaemonServer"/> receives: the engine (<see cref="EngineRequestHandler"/>) in
/// netmapd. The server owns sockets, envelopes (empty, short and oversized messages never get here), ordering and
/// limits; the handler owns what a request means. Calls for one connection never overlap; calls for different
/// connections run on different request threads at once.
/// </summary>
internal interface IDaemonRequestHandler
{
    /// <summary>A connection was admitted (set up what it needs, e.g. its engine session). A throw refuses it.</summary>
    void Opened(DaemonConnection connection);

    /// <summary>Processes one request; see <see cref="DaemonRequest"/> for descriptors and deferral. Throwing is
    /// answered with EINVAL (or ENOMEM for an OutOfMemoryException) and logged as an internal error.</summary>
    DaemonReply Handle(ref DaemonRequest request);

    /// <summary>The connection is gone (the client closed it or died, or shutdown): release everything it held,
    /// deferred requests included. The socket is closed only after this returns (the client's close is synchronous).</summary>
    void Closed(DaemonConnection connection);
}
