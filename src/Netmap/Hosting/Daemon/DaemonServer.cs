using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using Netmap.Abi;
using Netmap.Engine;
using Netmap.Interop;

namespace Netmap.Hosting.Daemon;

/// <summary>
/// netmapd's listening side: one AF_UNIX SOCK_SEQPACKET socket, one <see cref="EngineSession"/> and one thread per
/// connection. Each message is a NIOCCTRL request in <see cref="RequestMessage"/> form; each reply is a
/// <see cref="ReplyHeader"/>, the written-back message and the refusal's detail, plus (successful REGISTER) the
/// region memfd, the port's kick line and the peer's kick line by SCM_RIGHTS. The connection closing, however the
/// client died, disposes the session, which releases its registration.
/// </summary>
/// <remarks>
/// Everything a client sends is untrusted: oversized, truncated, empty or short messages get an errno reply, and
/// descriptors a client passes are closed unread. The engine serialises Control itself, so the threads here share
/// nothing but the connection table.
/// </remarks>
internal sealed class DaemonServer : IDisposable
{
    /// <summary>rw for owner and group: clients need write permission to connect.</summary>
    private const UnixFileMode SocketMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.GroupWrite;
    private const UnixFileMode DirectoryMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
        | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute;
    private const int ShutRdWr = 2;
    /// <summary>Consecutive empty messages after which a connection is dropped (a client sending only those is broken).</summary>
    private const int MaxEmptyMessages = 1000;

    private readonly NetmapEngine _engine;
    private readonly Action<TraceLevel, string> _log;
    /// <summary>False: Verbose messages are not even formatted (a fuzzing client makes a million of them).</summary>
    private readonly bool _verbose;
    private readonly SeqPacketSocket _listener;
    private readonly Thread _acceptThread;
    private readonly object _lock = new();
    private readonly Dictionary<SeqPacketSocket, Thread> _connections = new();
    private volatile bool _stopping;
    private bool _disposed;
    private long _accepted;

    /// <summary>
    /// Binds and listens on <paramref name="socketPath"/> and starts accepting. A socket file nobody answers on is
    /// replaced; one a live daemon answers on is not (EEXIST). <paramref name="group"/> (a name from /etc/group or a
    /// numeric gid) becomes the socket file's group. <paramref name="log"/> receives connects, disconnects and
    /// refusals at <see cref="TraceLevel.Verbose"/> (only when <paramref name="verbose"/>), internal errors at
    /// <see cref="TraceLevel.Error"/>; the engine's own diagnostics are routed there too.
    /// </summary>
    public DaemonServer(NetmapEngine engine, string socketPath, string? group = null, Action<TraceLevel, string>? log = null, bool verbose = true)
    {
        if (OperatingSystem.IsWindows()) throw new PlatformNotSupportedException("netmapd needs AF_UNIX SOCK_SEQPACKET");
        _engine = engine;
        // Clients are other processes: VALE forwarding must run here, never in a client's txsync.
        engine.UseValeWorkers(1);
        _log = log ?? ((_, _) => { });
        _verbose = log is not null && verbose;
        SocketPath = Path.GetFullPath(socketPath);
        if (log is not null)
        {
            engine.Log = m =>
            {
                if (m.Contains("internal error", StringComparison.Ordinal)) _log(TraceLevel.Error, "engine: " + m);
                else if (_verbose) _log(TraceLevel.Verbose, "engine: " + m);
            };
        }

        uint? gid = group is null ? null : ResolveGroup(group);
        string? dir = Path.GetDirectoryName(SocketPath);
        if (!string.IsNullOrEmpty(dir) && !Directory.Exists(dir))
        {
            try { Directory.CreateDirectory(dir, DirectoryMode); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new NetmapException(e is UnauthorizedAccessException ? Errno.EACCES : Errno.EEXIST, $"{dir}: cannot create the socket's directory: {e.Message}");
            }
        }
        RemoveStaleSocket(SocketPath);
        _listener = SeqPacketSocket.Listen(SocketPath);
        try
        {
            File.SetUnixFileMode(SocketPath, SocketMode);
            if (gid is uint g) FileOwnership.SetGroup(SocketPath, g);
        }
        catch
        {
            _listener.Dispose();
            TryUnlink(SocketPath);
            throw;
        }
        _acceptThread = new Thread(AcceptLoop) { IsBackground = true, Name = "netmapd accept" };
        _acceptThread.Start();
    }

    /// <summary>The absolute path of the listening socket.</summary>
    public string SocketPath { get; }

    /// <summary>Connections currently open.</summary>
    public int ConnectionCount { get { lock (_lock) return _connections.Count; } }

    /// <summary>Connections accepted since start.</summary>
    public long AcceptedCount => Interlocked.Read(ref _accepted);

    // ---------------------------------------------------------------- setup

    private static void RemoveStaleSocket(string path)
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
                // Nobody listens, or a daemon racing us is between its bind() and listen(): ask once more a little later.
                if (attempt == 0) { Thread.Sleep(100); continue; }
                // connect() also says ECONNREFUSED for a file that is not a socket: never delete one with content.
                if (new FileInfo(path).Length != 0)
                    throw new NetmapException(Errno.EEXIST, $"{path}: exists and is not a socket");
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
    internal static uint ResolveGroup(string group) => ResolveGroup(group, "/etc/group");

    internal static uint ResolveGroup(string group, string groupFile)
    {
        if (uint.TryParse(group, NumberStyles.None, CultureInfo.InvariantCulture, out uint gid)) return gid;
        if (File.Exists(groupFile))
        {
            foreach (var line in File.ReadLines(groupFile))
            {
                // name:password:gid:members
                var f = line.Split(':');
                if (f.Length >= 3 && f[0] == group && uint.TryParse(f[2], NumberStyles.None, CultureInfo.InvariantCulture, out gid)) return gid;
            }
        }
        throw new NetmapException(Errno.EINVAL, $"group {group}: not a gid and not found in {groupFile}");
    }

    private static void TryUnlink(string path)
    {
        try { File.Delete(path); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    // ---------------------------------------------------------------- accept

    private void AcceptLoop()
    {
        while (!_stopping)
        {
            var conn = _listener.Accept();
            if (conn is null)
            {
                int e = Libc.LastErrno;
                if (_stopping) break;
                if (e is Libc.EINTR or Libc.EAGAIN) continue;
                // EMFILE, ENOBUFS...: do not spin; the backlog keeps the client waiting.
                _log(TraceLevel.Error, $"{SocketPath}: accept: {SystemError.Name(e)}");
                Thread.Sleep(50);
                continue;
            }
            if (_stopping) { conn.Dispose(); break; }
            try
            {
                StartConnection(conn);
            }
            catch (Exception ex)
            {
                _log(TraceLevel.Error, $"{SocketPath}: cannot serve a new connection: {ex}");
                lock (_lock) _connections.Remove(conn);
                conn.Dispose();
            }
        }
    }

    private void StartConnection(SeqPacketSocket conn)
    {
        var (pid, uid, _) = conn.PeerCredentials();
        string peer = $"pid {pid} uid {uid}";
        var thread = new Thread(() => Serve(conn, peer, pid, uid)) { IsBackground = true, Name = $"netmapd {peer}" };
        lock (_lock)
        {
            if (_stopping) { conn.Dispose(); return; }
            _connections.Add(conn, thread);
            Interlocked.Increment(ref _accepted);
            if (_verbose) _log(TraceLevel.Verbose, $"{peer}: connected");
            thread.Start(); // under the lock: Dispose never sees an unstarted thread
        }
    }

    // ---------------------------------------------------------------- one connection

    private void Serve(SeqPacketSocket conn, string peer, int pid, uint uid)
    {
        EngineSession? session = null;
        string why = "closed the connection";
        try
        {
            session = _engine.OpenSession(peer, pid, uid);
            var request = new byte[RequestMessage.MaxSize + 1];
            var reply = new byte[ReplyHeader.Size + RequestMessage.MaxSize + ReplyHeader.MaxDetail];
            Span<int> fds = stackalloc int[SeqPacketSocket.MaxFds];
            Span<int> outFds = stackalloc int[SeqPacketSocket.MaxFds];
            int empties = 0;
            while (!_stopping)
            {
                int n = conn.Receive(request, fds, out int nfds);
                // A client has no descriptors to give netmapd: close whatever came.
                for (int i = 0; i < nfds; i++) SeqPacketSocket.CloseFd(fds[i]);

                Errno err;
                int msgLen = 0;
                RegisterResult? result = null;
                session.LastError = null;
                if (n == 0)
                {
                    // 0 is both "peer closed" and an empty message: POLLHUP/POLLRDHUP tell them apart. A half-close
                    // (DaemonChannel.Dispose shuts down its writing side, then waits for us to close) counts as closed.
                    if (FdPoll.PeerClosed(conn.Fd) || _stopping) break;
                    if (++empties > MaxEmptyMessages) { why = $"sent {MaxEmptyMessages} empty messages in a row, dropped"; break; }
                    err = Errno.EINVAL;
                    if (_verbose) _log(TraceLevel.Verbose, $"{peer}: empty message refused");
                }
                else if (n < 0)
                {
                    if (n != -(int)Errno.EMSGSIZE) { why = $"recvmsg: {SystemError.Name(-n)}"; break; }
                    empties = 0;
                    err = Errno.EMSGSIZE;
                    if (_verbose) _log(TraceLevel.Verbose, $"{peer}: message longer than {RequestMessage.MaxSize} bytes refused (EMSGSIZE)");
                }
                else if (n > RequestMessage.MaxSize)
                {
                    empties = 0;
                    err = Errno.EMSGSIZE;
                    if (_verbose) _log(TraceLevel.Verbose, $"{peer}: message of {n} bytes refused (EMSGSIZE)");
                }
                else
                {
                    empties = 0;
                    msgLen = n;
                    if (n < NmReqHeader.Size)
                    {
                        err = Errno.EINVAL;
                        if (_verbose) _log(TraceLevel.Verbose, $"{peer}: message of {n} bytes is shorter than nmreq_header (EINVAL)");
                    }
                    else
                    {
                        try
                        {
                            err = _engine.Control(session, request.AsSpan(0, n), out result);
                        }
                        catch (Exception ex)
                        {
                            _log(TraceLevel.Error, $"{peer}: internal error processing a request of {n} bytes: {ex}");
                            err = Errno.EINVAL;
                            result = null;
                        }
                        if (err != Errno.None && _verbose)
                            _log(TraceLevel.Verbose, $"{peer}: request refused: {err}{(session.LastError is { } d ? ": " + d : "")}");
                    }
                }

                int len = BuildReply(reply, err, result, request.AsSpan(0, msgLen), err == Errno.None ? null : session.LastError);
                int nOut = 0;
                if (err == Errno.None && result is not null)
                {
                    outFds[nOut++] = result.Region.Mapping.Fd;
                    outFds[nOut++] = result.KickWaitFd;
                    if (result.PeerSignalFd >= 0) outFds[nOut++] = result.PeerSignalFd;
                    if (result.BackendFds is { } queues)
                        foreach (int q in queues) outFds[nOut++] = q;
                }
                int sendErr = conn.Send(reply.AsSpan(0, len), outFds[..nOut]);
                if (sendErr != 0) { why = $"sendmsg: {SystemError.Name(sendErr)}"; break; }
            }
            if (_stopping) why = "closed by shutdown";
        }
        catch (Exception ex)
        {
            why = "internal error";
            _log(TraceLevel.Error, $"{peer}: connection failed: {ex}");
        }
        finally
        {
            try
            {
                session?.Dispose();
            }
            catch (Exception ex)
            {
                _log(TraceLevel.Error, $"{peer}: releasing the session failed: {ex}");
            }
            lock (_lock)
            {
                _connections.Remove(conn);
                conn.Dispose();
            }
            if (_verbose) _log(TraceLevel.Verbose, $"{peer}: disconnected ({why})");
        }
    }

    /// <summary>Writes header + message + detail into <paramref name="reply"/>; returns the length.</summary>
    private static int BuildReply(byte[] reply, Errno err, RegisterResult? result, ReadOnlySpan<byte> message, string? detail)
    {
        int detailLen = 0;
        var detailSpan = reply.AsSpan(ReplyHeader.Size + message.Length, ReplyHeader.MaxDetail);
        if (!string.IsNullOrEmpty(detail)) detailLen = EncodeTruncated(detail, detailSpan);
        var h = new ReplyHeader { Errno = (int)err, Token = result?.Token ?? 0, MessageLength = message.Length, DetailLength = detailLen, BackendFds = result?.BackendFds?.Length ?? 0 };
        MemoryMarshal.Write(reply, in h);
        message.CopyTo(reply.AsSpan(ReplyHeader.Size));
        return ReplyHeader.Size + message.Length + detailLen;
    }

    /// <summary>UTF-8 of <paramref name="s"/>, cut at a character boundary to fit <paramref name="into"/>.</summary>
    internal static int EncodeTruncated(string s, Span<byte> into)
    {
        if (Encoding.UTF8.GetByteCount(s) <= into.Length) return Encoding.UTF8.GetBytes(s, into);
        var all = Encoding.UTF8.GetBytes(s);
        int cut = into.Length;
        while (cut > 0 && (all[cut] & 0xC0) == 0x80) cut--; // all[cut] starts the first character left out
        all.AsSpan(0, cut).CopyTo(into);
        return cut;
    }

    // ---------------------------------------------------------------- shutdown

    /// <summary>Stops accepting, closes every connection (releasing its session) and unlinks the socket file.</summary>
    public void Dispose()
    {
        lock (_lock)
        {
            if (_disposed) return;
            _disposed = true;
            _stopping = true;
        }
        // shutdown() wakes a blocked accept4 with EINVAL; a connection of our own is the fallback.
        Libc.shutdown(_listener.Fd, ShutRdWr);
        if (!_acceptThread.Join(1000))
        {
            try { using var wake = SeqPacketSocket.Connect(SocketPath); } catch (NetmapException) { }
            _acceptThread.Join(1000);
        }
        _listener.Dispose();

        Thread[] threads;
        lock (_lock)
        {
            // Under the lock: a connection removes itself under it before closing, so these fds are still ours.
            foreach (var conn in _connections.Keys) Libc.shutdown(conn.Fd, ShutRdWr);
            threads = _connections.Values.ToArray();
        }
        foreach (var t in threads)
        {
            if (t.ManagedThreadId != Environment.CurrentManagedThreadId && !t.Join(5000))
                _log(TraceLevel.Error, $"{SocketPath}: connection thread {t.Name} did not stop");
        }
        TryUnlink(SocketPath);
    }
}
