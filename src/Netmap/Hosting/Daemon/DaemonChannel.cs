using System.Runtime.InteropServices;
using System.Text;
using Netmap.Abi;
using Netmap.Engine;
using Netmap.Interop;

namespace Netmap.Hosting.Daemon;

/// <summary>
/// A client's connection to netmapd: one SEQPACKET socket per open port, so the daemon learns of the client's
/// death from the socket closing, and the client of the daemon's (<see cref="Failure"/>, <see cref="HangupFd"/>).
/// Requests are synchronous: send the message, wait for the reply, whose <see cref="ReplyHeader.Sequence"/> must
/// name it. A connection netmapd refused (a limit) carries one message saying why (sequence 0): it is returned as
/// the errno and detail of the first request.
/// </summary>
internal sealed class DaemonChannel : IControlChannel
{
    private readonly SeqPacketSocket _socket;
    private readonly byte[] _reply = new byte[ReplyHeader.MaxReply];
    private uint _sent;
    private volatile string? _failure;

    /// <summary>Connects to <paramref name="socketPath"/> as it is (no trust checks: <see cref="DaemonLocator"/> makes them).</summary>
    public DaemonChannel(string socketPath) : this(socketPath, SeqPacketSocket.Connect(socketPath)) { }

    internal DaemonChannel(string socketPath, SeqPacketSocket connected)
    {
        SocketPath = socketPath;
        _socket = connected;
    }

    public string SocketPath { get; }
    public string Description => $"netmapd at {SocketPath}";

    /// <summary>The connection's socket: POLLHUP/POLLRDHUP once netmapd has gone.</summary>
    public int HangupFd => _socket.Fd;

    public string? Failure
    {
        get
        {
            if (_failure is null && _socket.Fd >= 0 && FdPoll.PeerClosed(_socket.Fd)) _failure = $"{Description} closed the connection";
            return _failure;
        }
    }

    public Errno Control(Span<byte> message, out ChannelRegistration? registration, out string? detail)
    {
        registration = null;
        detail = null;
        uint sequence = ++_sent;
        int sendErr = _socket.Send(message, ReadOnlySpan<int>.Empty);
        Span<int> fds = stackalloc int[SeqPacketSocket.MaxFds];
        int nfds = 0;
        int n;
        if (sendErr != 0)
        {
            // A refused connection: netmapd sent why, then closed, so our send found it closed. Read the reason.
            n = _socket.Receive(_reply, fds, out nfds, dontWait: true);
            if (n == -Libc.ECONNRESET) n = _socket.Receive(_reply, fds, out nfds, dontWait: true);
            if (n < ReplyHeader.Size)
            {
                for (int i = 0; i < nfds; i++) SeqPacketSocket.CloseFd(fds[i]);
                detail = _failure = $"{Description}: send: {SystemError.Name(sendErr)} (the daemon closed the connection)";
                return Errno.EPIPE;
            }
        }
        else
        {
            n = _socket.Receive(_reply, fds, out nfds);
            // netmapd closed with our request unread (it refused the connection): the error comes first, then its message.
            if (n == -Libc.ECONNRESET) n = _socket.Receive(_reply, fds, out nfds, dontWait: true);
        }
        try
        {
            if (n <= 0)
            {
                detail = _failure = n == 0 || n == -Libc.EAGAIN || n == -Libc.ECONNRESET
                    ? $"{Description} closed the connection" : $"{Description}: recvmsg: {SystemError.Name(-n)}";
                return Errno.EPIPE;
            }
            if (n < ReplyHeader.Size) { detail = $"{Description}: short reply"; return Errno.EPROTO; }
            var h = MemoryMarshal.Read<ReplyHeader>(_reply);
            if (h.DetailLength is < 0 or > ReplyHeader.MaxDetail || h.MessageLength < 0 || ReplyHeader.Size + h.MessageLength + h.DetailLength != n)
            { detail = $"{Description}: malformed reply"; return Errno.EPROTO; }
            if (h.Sequence == 0)
            {
                // Not a reply: the connection was refused, and is closed.
                string why = h.DetailLength > 0 ? Encoding.UTF8.GetString(_reply, ReplyHeader.Size + h.MessageLength, h.DetailLength) : "refused the connection";
                detail = _failure = why;
                return h.Errno > 0 ? (Errno)h.Errno : Errno.EPIPE;
            }
            if (h.Sequence != sequence || h.MessageLength != message.Length)
            { detail = $"{Description}: malformed reply (to request {h.Sequence} of {h.MessageLength} bytes, request {sequence} of {message.Length} bytes sent)"; return Errno.EPROTO; }
            _reply.AsSpan(ReplyHeader.Size, h.MessageLength).CopyTo(message);
            if (h.DetailLength > 0) detail = Encoding.UTF8.GetString(_reply, ReplyHeader.Size + h.MessageLength, h.DetailLength);
            var err = (Errno)h.Errno;
            if (err == Errno.None && nfds >= 2)
            {
                if (h.BackendFds < 0 || h.BackendFds > nfds - 2) { detail = $"{Description}: malformed reply ({nfds} descriptors, {h.BackendFds} for kernel queues)"; return Errno.EPROTO; }
                int memfd = fds[0], kick = fds[1], peer = nfds - h.BackendFds >= 3 ? fds[2] : -1;
                int[] queues = fds.Slice(nfds - h.BackendFds, h.BackendFds).ToArray();
                fds[0] = -1;
                nfds = 0; // ownership moves below
                MappedMemory map;
                try { map = SharedRegionCache.Acquire(memfd, MinimumRegionLength(message), Description); }
                catch { SeqPacketSocket.CloseFd(kick); SeqPacketSocket.CloseFd(peer); foreach (int q in queues) SeqPacketSocket.CloseFd(q); throw; }
                registration = new ChannelRegistration(map, kick, peer, h.Token, () =>
                {
                    SeqPacketSocket.CloseFd(kick);
                    SeqPacketSocket.CloseFd(peer);
                    foreach (int q in queues) SeqPacketSocket.CloseFd(q);
                    SharedRegionCache.Release(map);
                }, backendFds: queues);
            }
            return err;
        }
        finally
        {
            for (int i = 0; i < nfds; i++) SeqPacketSocket.CloseFd(fds[i]);
        }
    }

    /// <summary>What the reply says the region holds: nr_memsize (netmap's part) plus our region header after it,
    /// which the port reads first. A memfd shorter than that is refused before it is mapped.</summary>
    private static long MinimumRegionLength(ReadOnlySpan<byte> message)
    {
        var h = MemoryMarshal.Read<NmReqHeader>(message);
        if (h.RequestType != RequestType.Register || !RequestMessage.InBounds(message.Length, h.Body, NmReqRegister.Size)) return 1;
        ulong memSize = MemoryMarshal.Read<NmReqRegister>(message[(int)h.Body..]).MemSize;
        return memSize > long.MaxValue / 2 ? long.MaxValue : (long)memSize + Memory.RegionHeader.Size;
    }

    /// <summary>Closes like close(2) on /dev/netmap: synchronously. We half-close and wait (bounded) for the
    /// daemon to drop its side, which it does only after releasing the registration, so a reopen right after
    /// Dispose never races with the release.</summary>
    public void Dispose()
    {
        if (_socket.Fd < 0) return;
        _socket.ShutdownWrite();
        var deadline = Environment.TickCount64 + 5000;
        Span<int> fds = stackalloc int[SeqPacketSocket.MaxFds];
        while (Environment.TickCount64 < deadline)
        {
            if (FdPoll.WaitReadable(_socket.Fd, 200) == 0) continue;
            int n = _socket.Receive(_reply, fds, out int nfds, dontWait: true);
            for (int i = 0; i < nfds; i++) SeqPacketSocket.CloseFd(fds[i]);
            if (n == 0 || (n < 0 && n != -Libc.EAGAIN)) break;
        }
        _socket.Dispose();
    }
}
