namespace Netmap.Hosting.Daemon;

/// <summary>
/// One well-formed request (at least an nmreq_header) as the server hands it to its <see cref="IDaemonRequestHandler"/>:
/// the message in the request thread's buffer (the handler writes the write-back into it), the descriptors that
/// came with it (SCM_RIGHTS), and the means to answer later.
/// </summary>
/// <remarks>
/// Descriptors: the server closes every one the handler did not take with <see cref="TakeDescriptor"/> once
/// <see cref="IDaemonRequestHandler.Handle"/> returns (netmap's OPT_EXTMEM memory or OPT_SYNC_KLOOP_EVENTFDS will
/// be taken by the handler of those options). Deferral: a handler whose request must wait for something (netmap's
/// SYNC_KLOOP_START waits for SYNC_KLOOP_STOP, which arrives on the same connection) calls <see cref="Defer"/>,
/// returns <see cref="DaemonReply.Deferred"/> and completes the <see cref="DeferredReply"/> from any thread later;
/// meanwhile the connection's next requests are served.
/// </remarks>
internal ref struct DaemonRequest
{
    private readonly Span<int> _descriptors;
    private readonly Action<DaemonConnection> _schedule;

    internal DaemonRequest(DaemonConnection connection, uint sequence, Span<byte> message, Span<int> descriptors, Action<DaemonConnection> schedule)
    {
        Connection = connection; Sequence = sequence; Message = message; _descriptors = descriptors; _schedule = schedule;
    }

    public DaemonConnection Connection { get; }

    /// <summary>The request's number on its connection (1 = the first message).</summary>
    public uint Sequence { get; }

    /// <summary>The message (netmap's structs, pointers as offsets); written back in place.</summary>
    public Span<byte> Message { get; }

    /// <summary>The descriptors received with the message, in order; -1 for one already taken.</summary>
    public readonly ReadOnlySpan<int> Descriptors => _descriptors;

    /// <summary>Takes ownership of descriptor <paramref name="index"/> (the server will not close it).</summary>
    public int TakeDescriptor(int index)
    {
        int fd = _descriptors[index];
        _descriptors[index] = -1;
        return fd;
    }

    /// <summary>Set by <see cref="Defer"/>.</summary>
    internal DeferredReply? DeferredTo { get; private set; }

    /// <summary>Answers this request later: copies the message (the handler updates <see cref="DeferredReply.Message"/>
    /// and completes it from any thread). Return <see cref="DaemonReply.Deferred"/> after calling it.</summary>
    public DeferredReply Defer()
    {
        if (DeferredTo is not null) throw new InvalidOperationException("request already deferred");
        DeferredTo = new DeferredReply(Connection, Sequence, Message, _schedule);
        return DeferredTo;
    }
}
