using System.Diagnostics;
using Netmap.Abi;
using Netmap.Engine;
using Netmap.Interop;

namespace Netmap.Hosting.Daemon;

/// <summary>
/// netmapd's request handler: each connection is an <see cref="EngineSession"/>, each request an engine Control
/// call. Requests that may create descriptors are refused with ENFILE (naming the limit) when the daemon's reserve
/// of descriptors is reached, before the engine would fail an allocation.
/// </summary>
internal sealed class EngineRequestHandler(NetmapEngine engine, DescriptorBudget budget, Action<TraceLevel, string> log, bool verbose) : IDaemonRequestHandler
{
    public void Opened(DaemonConnection connection)
        => connection.Session = engine.OpenSession(connection.Peer, connection.Pid, connection.Uid);

    public DaemonReply Handle(ref DaemonRequest request)
    {
        var session = SessionOf(ref request);
        session.LastError = null;
        var type = RequestMessage.Header(request.Message).RequestType;
        if (type is RequestType.Register or RequestType.ValeNewInterface or RequestType.ValeAttach && budget.Check() is { } full)
        {
            if (verbose) log(TraceLevel.Verbose, $"{request.Connection.Peer}: {type} refused: {full}");
            return new DaemonReply(Errno.ENFILE, Detail: full);
        }
        Errno err;
        RegisterResult? result;
        try
        {
            err = engine.Control(session, request.Message, out result);
        }
        catch (OutOfMemoryException)
        {
            log(TraceLevel.Error, $"{request.Connection.Peer}: out of memory processing a request of {request.Message.Length} bytes");
            return new DaemonReply(Errno.ENOMEM, Detail: "netmapd: out of memory");
        }
        catch (Exception ex)
        {
            log(TraceLevel.Error, $"{request.Connection.Peer}: internal error processing a request of {request.Message.Length} bytes: {ex}");
            return new DaemonReply(Errno.EINVAL);
        }
        if (err != Errno.None && verbose)
            log(TraceLevel.Verbose, $"{request.Connection.Peer}: request refused: {err}{(session.LastError is { } d ? ": " + d : "")}");
        return new DaemonReply(err, err == Errno.None ? result : null, err == Errno.None ? null : session.LastError);
    }

    public void Closed(DaemonConnection connection)
    {
        if (connection.Session is not { } session) return;
        // An orderly close (DaemonChannel.Dispose) shuts down only the client's writing side and waits for us; a client
        // whose process ended has closed the socket entirely.
        session.Abandoned = FdPoll.PeerGone(connection.Socket.Fd);
        session.Dispose();
    }

    private static EngineSession SessionOf(ref DaemonRequest request)
        => request.Connection.Session ?? throw new InvalidOperationException($"{request.Connection.Peer}: no engine session");
}
