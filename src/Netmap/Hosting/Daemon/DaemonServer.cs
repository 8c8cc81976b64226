using System.Diagnostics;
using System.Runtime.InteropServices;
using Netmap.Abi;
using Netmap.Engine;
using Netmap.Interop;

namespace Netmap.Hosting.Daemon;

/// <summary>
/// netmapd's listening side: one AF_UNIX SOCK_SEQPACKET socket, an event loop thread (epoll: accept, readiness of
/// every connection) and a fixed pool of request threads (<see cref="RequestThreads"/>) that read, process and answer
/// requests. Each message is a NIOCCTRL request in <see cref="RequestMessage"/> form; each reply is a
/// <see cref="ReplyHeader"/>, the written-back message and the refusal's detail, plus (successful REGISTER) the
/// region memfd, the port's kick line, the peer's kick line and kernel queue descriptors by SCM_RIGHTS. The
/// connection closing, however the client died, releases its session.
/// </summary>
/// <remarks>
/// <para>No socket call ever waits: connections are non-blocking, registered EPOLLONESHOT, so a connection is served
/// by one request thread at a time, its requests in order; a reply the client does not read is kept (one pooled
/// buffer) and the connection waits for EPOLLOUT before its next request is read. A slow request (the engine creating
/// a 343 MB region) holds one request thread; the loop keeps accepting, refusing and dispatching the others.</para>
/// <para>Limits (<see cref="DaemonLimits"/>): a connection beyond the global or per-uid cap, or when fewer descriptors
/// than the reserve are left, gets one refusal message (<see cref="ReplyHeader.Sequence"/> 0, errno ENFILE or EDQUOT,
/// a line naming the limit and its flag) and is closed at once: it costs no thread and no memory. Requests that
/// create descriptors are refused at the reserve by <see cref="EngineRequestHandler"/>.</para>
/// <para>Everything a client sends is untrusted: oversized, truncated, empty or short messages get an errno reply;
/// descriptors it passes go to the handler, which closes those it does not take. Extension points for requests that
/// carry descriptors and requests completed later: <see cref="DaemonRequest"/>.</para>
/// </remarks>
internal sealed class DaemonServer : IDisposable
{
    /// <summary>rw for owner and group: clients need write permission to connect.</summary>
    private const UnixFileMode SocketMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.GroupWrite;
    private const UnixFileMode PrivateDirectoryMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private const UnixFileMode GroupDirectoryMode = PrivateDirectoryMode | UnixFileMode.GroupRead | UnixFileMode.GroupExecute;
    /// <summary>Consecutive empty messages after which a connection is dropped (a client sending only those is broken).</summary>
    private const int MaxEmptyMessages = 1000;
    /// <summary>Messages one turn of a request thread serves before the connection goes to the back of the queue.</summary>
    private const int MessagesPerTurn = 32;
    private const int Backlog = 1024;
    private const ulong ListenerTag = 0, WakeTag = 1;
    private const uint ReadEvents = EpollEvent.In | EpollEvent.ReadHangup | EpollEvent.OneShot;
    private const uint WriteEvents = EpollEvent.Out | EpollEvent.ReadHangup | EpollEvent.OneShot;

    private readonly Action<TraceLevel, string> _log;
    /// <summary>False: Verbose messages are not even formatted (a fuzzing client makes a million of them).</summary>
    private readonly bool _verbose;
    private readonly DaemonLimits _limits;
    private readonly IDaemonRequestHandler _handler;
    private readonly DescriptorBudget _budget;
    private readonly SeqPacketSocket _listener;
    private readonly EpollSet _epoll;
    private readonly KickLine _wake;
    private readonly RequestThreads _threads;
    private readonly Thread _loop;
    private readonly Action<DaemonConnection> _schedule;
    private readonly string _recordPath;
    private readonly object _lock = new();
    private readonly Dictionary<long, DaemonConnection> _connections = new();
    private readonly Dictionary<uint, int> _perUser = new();
    private readonly RefusalLog _refusals;
    /// <summary>A descriptor held in reserve for accept4 at EMFILE: closed, the connection accepted and refused, reopened.</summary>
    private int _spareFd;
    private long _nextId = (long)WakeTag + 1;
    private volatile bool _stopping;
    private bool _disposed;
    private long _accepted, _refused, _blocked;

    /// <summary>
    /// Binds and listens on <paramref name="socketPath"/> and starts serving <paramref name="engine"/>. A socket file
    /// nobody answers on is replaced; one a live daemon answers on is not (EEXIST). A missing directory is created
    /// 0700 (0750 with <paramref name="group"/>); an existing one must be owned by this uid or root and writable by
    /// nobody else (a sticky one such as /tmp excepted). <paramref name="group"/> (a name from /etc/group or a numeric
    /// gid) becomes the socket file's group, and the directory's when it would not let that group reach the socket.
    /// <paramref name="log"/> receives connects, disconnects and refusals at <see cref="TraceLevel.Verbose"/> (only when
    /// <paramref name="verbose"/>), limits reached at <see cref="TraceLevel.Warning"/>, internal errors at
    /// <see cref="TraceLevel.Error"/>; the engine's own diagnostics are routed there too.
    /// </summary>
    public DaemonServer(NetmapEngine engine, string socketPath, string? group = null, Action<TraceLevel, string>? log = null, bool verbose = true,
        DaemonLimits? limits = null)
        : this(socketPath, group, log, verbose, limits, budget => new EngineRequestHandler(engine, budget, log ?? ((_, _) => { }), log is not null && verbose))
    {
        // Clients are other processes: VALE forwarding must run here, never in a client's txsync.
        engine.UseValeWorkers(1);
        if (log is not null)
        {
            engine.Log = m =>
            {
                if (m.Contains("internal error", StringComparison.Ordinal)) _log(TraceLevel.Error, "engine: " + m);
                else if (_verbose) _log(TraceLevel.Verbose, "engine: " + m);
            };
        }
    }

    /// <summary>A server whose requests go to the handler <paramref name="handlerFactory"/> makes (tests of the
    /// server's own rules: ordering, deferral, descriptors).</summary>
    internal DaemonServer(string socketPath, string? group, Action<TraceLevel, string>? log, bool verbose, DaemonLimits? limits,
        Func<DescriptorBudget, IDaemonRequestHandler> handlerFactory)
    {
        if (OperatingSystem.IsWindows()) throw new PlatformNotSupportedException("netmapd needs AF_UNIX SOCK_SEQPACKET");
        _log = log ?? ((_, _) => { });
        _verbose = log is not null && verbose;
        _limits = limits ?? new DaemonLimits();
        if (_limits.MaxConnections < 1 || _limits.MaxConnectionsPerUser < 1 || _limits.DescriptorReserve < 0
            || _limits.RequestThreads is < 1 or > DaemonLimits.MaxRequestThreads)
            throw new ArgumentOutOfRangeException(nameof(limits), $"unusable limits {_limits}");
        _refusals = new RefusalLog(_log);
        _schedule = Schedule;
        SocketPath = Path.GetFullPath(socketPath);
        _recordPath = DaemonRecord.PathFor(SocketPath);

        uint? gid = group is null ? null : ResolveGroup(group);
        PrepareDirectory(Path.GetDirectoryName(SocketPath) ?? "/", gid);
        RemoveStaleSocket(SocketPath);
        _budget = new DescriptorBudget(_limits.DescriptorReserve);
        var cleanup = new List<IDisposable> { _budget };
        try
        {
            _listener = SeqPacketSocket.Listen(SocketPath, Backlog, nonBlocking: true);
            cleanup.Add(_listener);
            try
            {
                File.SetUnixFileMode(SocketPath, SocketMode);
                if (gid is uint g) FileOwnership.SetGroup(SocketPath, g);
            }
            catch
            {
                TryUnlink(SocketPath);
                throw;
            }
            _handler = handlerFactory(_budget);
            _epoll = EpollSet.Create(SocketPath);
            cleanup.Add(_epoll);
            _wake = KickLine.Create(SocketPath);
            cleanup.Add(_wake);
            Check(_epoll.Watch(_listener.Fd, EpollEvent.In, ListenerTag), "epoll_ctl");
            Check(_epoll.Watch(_wake.WaitFd, EpollEvent.In, WakeTag), "epoll_ctl");
            _spareFd = OpenSpare();
            DaemonRecord.ForThisProcess().Write(_recordPath);
        }
        catch
        {
            TryUnlink(SocketPath);
            foreach (var d in cleanup) d.Dispose();
            throw;
        }
        _threads = new RequestThreads(_limits.RequestThreads, Serve, "netmapd request");
        _loop = new Thread(Loop) { IsBackground = true, Name = "netmapd loop" };
        _loop.Start();
    }

    /// <summary>The absolute path of the listening socket.</summary>
    public string SocketPath { get; }

    /// <summary>The limits in force.</summary>
    public DaemonLimits Limits => _limits;

    /// <summary>RLIMIT_NOFILE as the server found it.</summary>
    public int DescriptorLimit => _budget.Limit;

    /// <summary>Connections currently open.</summary>
    public int ConnectionCount { get { lock (_lock) return _connections.Count; } }

    /// <summary>Connections accepted since start (refused ones not included).</summary>
    public long AcceptedCount => Interlocked.Read(ref _accepted);

    /// <summary>Connections refused at a limit since start.</summary>
    public long RefusedCount => Interlocked.Read(ref _refused);

    /// <summary>Replies kept because the client's socket was full (it was not reading them) since start.</summary>
    public long BlockedReplies => Interlocked.Read(ref _blocked);

    // ---------------------------------------------------------------- setup

    private void Check(int err, string call)
    {
        if (err != 0) throw new NetmapException((Errno)err, $"{SocketPath}: {call}: {SystemError.Name(err)}");
    }

    private static int OpenSpare() => Interop.DescriptorLimit.OpenSpare();

    /// <summary>Creates the socket's directory, or checks an existing one (see the constructor).</summary>
    private static void PrepareDirectory(string dir, uint? gid)
    {
        if (OperatingSystem.IsWindows()) throw new PlatformNotSupportedException();
        uint self = ProcessInfo.EffectiveUid;
        string? why = SocketTrust.CheckDirectory(dir, self, allowSticky: true, out bool missing);
        if (why is not null) throw new NetmapException(Errno.EPERM, $"{dir}: {why}: refusing to listen there");
        if (missing)
        {
            try
            {
                Directory.CreateDirectory(dir, PrivateDirectoryMode);
                File.SetUnixFileMode(dir, gid is null ? PrivateDirectoryMode : GroupDirectoryMode); // the umask does not decide
                if (gid is uint g) FileOwnership.SetGroup(dir, g);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new NetmapException(e is UnauthorizedAccessException ? Errno.EACCES : Errno.EEXIST, $"{dir}: cannot create the socket's directory: {e.Message}");
            }
            return;
        }
        if (gid is not uint group) return;
        // The group's members must be able to search the directory: its group bits apply to them when it is their
        // group, the "other" bits otherwise.
        if (FileStatus.Get(dir, out var st) != 0) return;
        uint needed = st.Gid == group ? 0x8u : 0x1u;
        if ((st.Permissions & needed) != 0) return;
        if (st.Uid != self)
            throw new NetmapException(Errno.EACCES, $"{dir}: mode {SocketTrust.Octal(st.Permissions)} keeps group {GroupFile.NameOf(group)} out and is not ours to change");
        FileOwnership.SetGroup(dir, group);
        File.SetUnixFileMode(dir, (UnixFileMode)(st.Permissions | 0x28)); // g+rx
    }

    private void RemoveStaleSocket(string path)
    {
        for (int attempt = 0; ; attempt++)
        {
            if (!File.Exists(path)) return;
            try
            {
                using var probe = SeqPacketSocket.Connect(path);
            }
            catch (NetmapException e) when (e.Errno == Errno.ECONNREFUSED)
            {
                // A daemon may be between bind and listen: look twice before deleting.
                if (attempt == 0) { Thread.Sleep(100); continue; }
                // connect() also says ECONNREFUSED for a file that is not a socket: never delete one with content.
                if (new FileInfo(path).Length != 0)
                    throw new NetmapException(Errno.EEXIST, $"{path}: exists and is not a socket");
                if (DaemonRecord.Read(_recordPath) is { IsAlive: false } dead)
                    _log(TraceLevel.Warning, $"{path}: {dead.Describe()} is gone; its socket is replaced (its switches and persistent ports are lost)");
                File.Delete(path);
                return;
            }
            catch (NetmapException e) when (e.Errno == Errno.ENOENT)
            {
                return;
            }
            throw new NetmapException(Errno.EEXIST, $"{path}: another netmapd is already listening");
        }
    }

    /// <summary>A numeric gid, or a group name looked up in /etc/group.</summary>
    internal static uint ResolveGroup(string group) => GroupFile.Resolve(group);

    internal static uint ResolveGroup(string group, string groupFile) => GroupFile.Resolve(group, groupFile);

    private static void TryUnlink(string path)
    {
        try { File.Delete(path); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    // ---------------------------------------------------------------- the event loop

    private void Loop()
    {
        Span<EpollEvent> events = stackalloc EpollEvent[256];
        while (!_stopping)
        {
            int n = _epoll.WaitEvents(events, -1);
            if (n < 0)
            {
                _log(TraceLevel.Error, $"{SocketPath}: epoll_wait: {SystemError.Name(-n)}");
                Thread.Sleep(10);
                continue;
            }
            for (int i = 0; i < n && !_stopping; i++)
            {
                ulong tag = events[i].Data;
                try
                {
                    if (tag == ListenerTag) AcceptSome();
                    else if (tag == WakeTag) _wake.Drain();
                    else
                    {
                        DaemonConnection? c;
                        lock (_lock) _connections.TryGetValue((long)tag, out c);
                        if (c is not null) Schedule(c);
                    }
                }
                catch (Exception ex)
                {
                    // The loop must outlive anything one event can throw (an OutOfMemoryException included).
                    _log(TraceLevel.Error, $"{SocketPath}: event loop: {ex.GetType().Name}: {ex.Message}");
                }
            }
        }
    }

    /// <summary>Queues <paramref name="c"/> for a request thread unless one already has it (or it is closed).</summary>
    private void Schedule(DaemonConnection c)
    {
        if (Interlocked.CompareExchange(ref c.State, DaemonConnection.Scheduled, DaemonConnection.Idle) == DaemonConnection.Idle)
            _threads.Post(c);
    }

    private void AcceptSome()
    {
        // A bounded batch: the listener is level-triggered, so what is left comes back in the next round.
        for (int i = 0; i < 64 && !_stopping; i++)
        {
            int fd = _listener.AcceptNonBlocking();
            if (fd >= 0) { Admit(fd); continue; }
            int err = -fd;
            if (err == Libc.EAGAIN) return;
            if (err is Libc.EMFILE or Libc.ENFILE) { AcceptWithSpare(err); return; }
            if (err is 103 /* ECONNABORTED */ or 71 /* EPROTO */) continue;
            _log(TraceLevel.Error, $"{SocketPath}: accept: {SystemError.Name(err)}");
            return;
        }
    }

    /// <summary>accept4 failed for want of a descriptor (something outside our accounting took them): give up the
    /// spare one for the time of a refusal, so the client hears why instead of waiting in the backlog.</summary>
    private void AcceptWithSpare(int err)
    {
        if (_spareFd >= 0) { SeqPacketSocket.CloseFd(_spareFd); _spareFd = -1; }
        int fd = _listener.AcceptNonBlocking();
        if (fd >= 0)
        {
            var (_, uid, _) = PeerOf(fd);
            Refuse(fd, uid, Errno.ENFILE, $"netmapd: out of descriptors (RLIMIT_NOFILE {_budget.Limit} reached: {SystemError.Name(err)})");
        }
        try { _spareFd = OpenSpare(); }
        catch (NetmapException) { _spareFd = -1; }
        if (fd < 0 || _spareFd < 0) Thread.Sleep(10); // nothing to free: do not spin on a readable listener
    }

    private static (int Pid, uint Uid, uint Gid) PeerOf(int fd)
    {
        var s = new SeqPacketSocket(fd);
        return s.PeerCredentials();
    }

    private void Admit(int fd)
    {
        var (pid, uid, _) = PeerOf(fd);
        Errno err = Errno.None;
        string? why = null;
        lock (_lock)
        {
            if (_connections.Count >= _limits.MaxConnections)
            {
                err = Errno.ENFILE;
                why = $"netmapd: {_connections.Count} connections are open (limit {DaemonLimits.MaxConnectionsFlag} {_limits.MaxConnections})";
            }
            else if (_perUser.TryGetValue(uid, out int mine) && mine >= _limits.MaxConnectionsPerUser)
            {
                err = Errno.EDQUOT;
                why = $"netmapd: uid {uid} has {mine} connections (limit {DaemonLimits.MaxConnectionsPerUserFlag} {_limits.MaxConnectionsPerUser})";
            }
        }
        if (why is null && _budget.Check() is { } full) { err = Errno.ENFILE; why = full; }
        if (why is not null) { Refuse(fd, uid, err, why); return; }

        var socket = new SeqPacketSocket(fd);
        var c = new DaemonConnection(_nextId++, socket, pid, uid);
        try
        {
            _handler.Opened(c);
        }
        catch (Exception ex)
        {
            _log(TraceLevel.Error, $"{c.Peer}: cannot serve a new connection: {ex.GetType().Name}: {ex.Message}");
            Refuse(fd, uid, ex is OutOfMemoryException ? Errno.ENOMEM : Errno.EIO, $"netmapd: cannot serve a new connection ({ex.GetType().Name})");
            return;
        }
        lock (_lock)
        {
            _connections.Add(c.Id, c);
            _perUser[uid] = _perUser.GetValueOrDefault(uid) + 1;
        }
        Interlocked.Increment(ref _accepted);
        if (_verbose) _log(TraceLevel.Verbose, $"{c.Peer}: connected");
        // Scheduled until watched: nothing can reach it before the registration exists anyway.
        c.State = DaemonConnection.Scheduled;
        int e = _epoll.Watch(fd, ReadEvents, (ulong)c.Id);
        if (e != 0)
        {
            // ENOSPC (fs.epoll.max_user_watches) or ENOMEM: the client sees its connection close.
            _log(TraceLevel.Error, $"{c.Peer}: epoll_ctl: {SystemError.Name(e)}; connection dropped");
            Close(c, $"epoll_ctl: {SystemError.Name(e)}");
            return;
        }
        // An event may already have fired and found it Scheduled: oneshot keeps it armed until consumed, but the
        // loop (this thread) only looks after we return, so Idle now is in time.
        Volatile.Write(ref c.State, DaemonConnection.Idle);
    }

    /// <summary>One message (<see cref="ReplyHeader.Sequence"/> 0) telling the client why, then close: the client reads it
    /// in reply to its first request.</summary>
    private void Refuse(int fd, uint uid, Errno err, string why)
    {
        Span<byte> buf = stackalloc byte[ReplyHeader.Size + ReplyHeader.MaxDetail];
        int len = ReplyHeader.Write(buf, err, 0, 0, 0, ReadOnlySpan<byte>.Empty, why);
        // Counted before the client can read why (a caller that saw the refusal sees it counted).
        Interlocked.Increment(ref _refused);
        _refusals.Refused(uid, why);
        using (var s = new SeqPacketSocket(fd)) s.Send(buf[..len], ReadOnlySpan<int>.Empty, dontWait: true);
    }

    // ---------------------------------------------------------------- one connection, on a request thread

    /// <summary>Buffers of one request thread (a connection owns none while idle).</summary>
    [ThreadStatic] private static byte[]? t_request, t_reply;

    private void Serve(DaemonConnection c)
    {
        var request = t_request ??= new byte[RequestMessage.MaxSize + 1];
        var reply = t_reply ??= new byte[ReplyHeader.MaxReply];
        string? closeWhy = null;
        try
        {
            while (true)
            {
                if (_stopping) { closeWhy = "closed by shutdown"; break; }
                bool wantOut = false;
                int flush = c.Flush();
                if (flush == Libc.EAGAIN) wantOut = true;
                else if (flush != 0) { closeWhy = $"sendmsg: {SystemError.Name(flush)}"; break; }
                for (int m = 0; !wantOut && m < MessagesPerTurn; m++)
                {
                    var step = ServeOne(c, request, reply, out closeWhy);
                    if (step == Step.Close) break;
                    if (step == Step.NoMessage) break;
                    if (step == Step.Blocked) wantOut = true;
                }
                if (closeWhy is not null) break;

                Volatile.Write(ref c.State, DaemonConnection.Idle);
                // A deferred reply queued while we were busy found the connection Scheduled: take it now.
                if (!wantOut && c.HasOutgoing && Interlocked.CompareExchange(ref c.State, DaemonConnection.Scheduled, DaemonConnection.Idle) == DaemonConnection.Idle)
                    continue;
                int err = _epoll.Rearm(c.Socket.Fd, wantOut ? WriteEvents : ReadEvents, (ulong)c.Id);
                if (err != 0 && Interlocked.CompareExchange(ref c.State, DaemonConnection.Scheduled, DaemonConnection.Idle) == DaemonConnection.Idle)
                {
                    closeWhy = $"epoll_ctl: {SystemError.Name(err)}";
                    break;
                }
                // Shutdown began after our check: close it unless the shutdown's own scheduling already took it.
                if (_stopping && Interlocked.CompareExchange(ref c.State, DaemonConnection.Scheduled, DaemonConnection.Idle) == DaemonConnection.Idle)
                    continue;
                return;
            }
        }
        catch (Exception ex)
        {
            closeWhy = "internal error";
            _log(TraceLevel.Error, $"{c.Peer}: connection failed: {ex}");
        }
        Close(c, closeWhy ?? "closed");
    }

    private enum Step { Served, NoMessage, Blocked, Close }

    /// <summary>Receives and answers one message.</summary>
    private Step ServeOne(DaemonConnection c, byte[] request, byte[] reply, out string? closeWhy)
    {
        closeWhy = null;
        Span<int> fds = stackalloc int[SeqPacketSocket.MaxFds];
        int n = c.Socket.Receive(request, fds, out int nfds, dontWait: true);
        if (n == -Libc.EAGAIN) return Step.NoMessage;

        int msgLen = 0;
        var r = default(DaemonReply);
        if (n == 0)
        {
            // 0 is both "peer closed" and an empty message: POLLHUP/POLLRDHUP tell them apart. A half-close
            // (DaemonChannel.Dispose shuts down its writing side, then waits for us to close) counts as closed.
            CloseAll(fds[..nfds]);
            if (FdPoll.PeerClosed(c.Socket.Fd)) { closeWhy = "closed the connection"; return Step.Close; }
            if (++c.EmptyInARow > MaxEmptyMessages) { closeWhy = $"sent {MaxEmptyMessages} empty messages in a row, dropped"; return Step.Close; }
            r = new DaemonReply(Errno.EINVAL);
            if (_verbose) _log(TraceLevel.Verbose, $"{c.Peer}: empty message refused");
        }
        else if (n < 0)
        {
            CloseAll(fds[..nfds]);
            if (n != -(int)Errno.EMSGSIZE) { closeWhy = $"recvmsg: {SystemError.Name(-n)}"; return Step.Close; }
            c.EmptyInARow = 0;
            r = new DaemonReply(Errno.EMSGSIZE);
            if (_verbose) _log(TraceLevel.Verbose, $"{c.Peer}: message longer than {RequestMessage.MaxSize} bytes refused (EMSGSIZE)");
        }
        else if (n > RequestMessage.MaxSize)
        {
            CloseAll(fds[..nfds]);
            c.EmptyInARow = 0;
            r = new DaemonReply(Errno.EMSGSIZE);
            if (_verbose) _log(TraceLevel.Verbose, $"{c.Peer}: message of {n} bytes refused (EMSGSIZE)");
        }
        else
        {
            c.EmptyInARow = 0;
            msgLen = n;
            if (n < NmReqHeader.Size)
            {
                CloseAll(fds[..nfds]);
                r = new DaemonReply(Errno.EINVAL);
                if (_verbose) _log(TraceLevel.Verbose, $"{c.Peer}: message of {n} bytes is shorter than nmreq_header (EINVAL)");
            }
            else
            {
                var req = new DaemonRequest(c, c.Received + 1, request.AsSpan(0, n), fds[..nfds], _schedule);
                try
                {
                    r = _handler.Handle(ref req);
                }
                catch (Exception ex)
                {
                    _log(TraceLevel.Error, $"{c.Peer}: internal error processing a request of {n} bytes: {ex}");
                    r = new DaemonReply(ex is OutOfMemoryException ? Errno.ENOMEM : Errno.EINVAL);
                    if (req.DeferredTo is { } orphan) orphan.Complete(r.Errno);
                }
                finally
                {
                    CloseAll(fds[..nfds]); // those the handler did not take
                }
                if (r.IsDeferred && req.DeferredTo is null)
                {
                    _log(TraceLevel.Error, $"{c.Peer}: the handler deferred a request without Defer()");
                    r = new DaemonReply(Errno.EINVAL);
                }
            }
        }
        uint seq = ++c.Received;
        if (r.IsDeferred) return Step.Served;

        var result = r.Registration;
        int len = ReplyHeader.Write(reply, r.Errno, seq, result?.Token ?? 0, result?.BackendFds?.Length ?? 0, request.AsSpan(0, msgLen),
            r.Errno == Errno.None ? null : r.Detail);
        Span<int> outFds = stackalloc int[SeqPacketSocket.MaxFds];
        int nOut = 0;
        if (r.Errno == Errno.None && result is not null)
        {
            outFds[nOut++] = result.Region.Mapping.Fd;
            outFds[nOut++] = result.KickWaitFd;
            if (result.PeerSignalFd >= 0) outFds[nOut++] = result.PeerSignalFd;
            if (result.BackendFds is { } queues)
                foreach (int q in queues) outFds[nOut++] = q;
        }
        // Behind a reply already waiting (a deferred one), or when the client is not reading: keep it.
        int sendErr = c.HasOutgoing ? Libc.EAGAIN : c.Socket.Send(reply.AsSpan(0, len), outFds[..nOut], dontWait: true);
        if (sendErr == 0) return Step.Served;
        if (sendErr != Libc.EAGAIN) { closeWhy = $"sendmsg: {SystemError.Name(sendErr)}"; return Step.Close; }
        c.Enqueue(new OutgoingReply(reply.AsSpan(0, len), outFds[..nOut]));
        Interlocked.Increment(ref _blocked);
        return Step.Blocked;
    }

    private static void CloseAll(Span<int> fds)
    {
        for (int i = 0; i < fds.Length; i++)
        {
            SeqPacketSocket.CloseFd(fds[i]);
            fds[i] = -1;
        }
    }

    /// <summary>Releases the connection's session, then closes its socket (the client's half-close completes only now).</summary>
    private void Close(DaemonConnection c, string why)
    {
        lock (_lock)
        {
            // Marked under the lock that guards the table: shutdown never schedules a connection being closed.
            Volatile.Write(ref c.State, DaemonConnection.Closed);
        }
        _epoll.Unwatch(c.Socket.Fd);
        try
        {
            _handler.Closed(c);
        }
        catch (Exception ex)
        {
            _log(TraceLevel.Error, $"{c.Peer}: releasing the session failed: {ex}");
        }
        c.DropOutgoing();
        lock (_lock)
        {
            // Uncounted before the socket closes: a client that saw its close complete may connect again at once.
            if (_perUser.TryGetValue(c.Uid, out int k))
            {
                if (k <= 1) _perUser.Remove(c.Uid); else _perUser[c.Uid] = k - 1;
            }
        }
        c.Socket.Dispose();
        lock (_lock)
        {
            _connections.Remove(c.Id);
            Monitor.PulseAll(_lock);
        }
        if (_verbose) _log(TraceLevel.Verbose, $"{c.Peer}: disconnected ({why})");
    }

    // ---------------------------------------------------------------- shutdown

    /// <summary>Stops accepting, closes every connection (releasing its session) and unlinks the socket file and the
    /// daemon's record.</summary>
    public void Dispose()
    {
        lock (_lock)
        {
            if (_disposed) return;
            _disposed = true;
            _stopping = true;
        }
        _wake.Signal();
        if (_loop.ManagedThreadId != Environment.CurrentManagedThreadId && !_loop.Join(5000))
            _log(TraceLevel.Error, $"{SocketPath}: the event loop did not stop");
        _epoll.Unwatch(_listener.Fd);
        _listener.Dispose();

        // Every connection goes through its request thread, which sees _stopping and closes it: an idle one is scheduled
        // here, a busy one is closed at the end of its current request.
        DaemonConnection[] all;
        lock (_lock) all = _connections.Values.ToArray();
        foreach (var c in all) Schedule(c);
        var clock = Stopwatch.StartNew();
        lock (_lock)
        {
            while (_connections.Count > 0 && clock.ElapsedMilliseconds < 10_000)
                Monitor.Wait(_lock, 100);
            if (_connections.Count > 0)
                _log(TraceLevel.Error, $"{SocketPath}: {_connections.Count} connection(s) still busy after 10 s: {string.Join(", ", _connections.Values.Select(c => c.Peer))}");
        }
        foreach (var stuck in _threads.Stop(5000))
            _log(TraceLevel.Error, $"{SocketPath}: request thread {stuck} did not stop");
        _epoll.Dispose();
        _wake.Dispose();
        _budget.Dispose();
        if (_spareFd >= 0) { SeqPacketSocket.CloseFd(_spareFd); _spareFd = -1; }
        TryUnlink(SocketPath);
        DaemonRecord.RemoveIfOurs(_recordPath);
    }

    /// <summary>UTF-8 of <paramref name="s"/>, cut at a character boundary to fit <paramref name="into"/>.</summary>
    internal static int EncodeTruncated(string s, Span<byte> into) => ReplyHeader.EncodeTruncated(s, into);
}
