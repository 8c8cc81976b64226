using System.Runtime.InteropServices;
using System.Text;
using Netmap.Abi;
using Netmap.Engine;
using Netmap.Interop;

namespace Netmap.Hosting.Daemon;

/// <summary>
/// A client's connection to netmapd: one SEQPACKET socket per open port, so the daemon learns of the client's
/// death from the socket closing. Requests are synchronous: send the message, wait for the reply.
/// </summary>
internal sealed class DaemonChannel : IControlChannel
{
    private readonly SeqPacketSocket _socket;
    private readonly byte[] _reply = new byte[ReplyHeader.Size + RequestMessage.MaxSize + ReplyHeader.MaxDetail];

    public DaemonChannel(string socketPath) : this(SeqPacketSocket.Connect(socketPath), socketPath) { }

    public DaemonChannel(SeqPacketSocket socket, string socketPath)
    {
        SocketPath = socketPath;
        _socket = socket;
    }

    public string SocketPath { get; }
    public string Description => $"netmapd at {SocketPath}";

    public Errno Control(Span<byte> message, out ChannelRegistration? registration, out string? detail)
    {
        registration = null;
        detail = null;
        int sendErr = _socket.Send(message, ReadOnlySpan<int>.Empty);
        if (sendErr != 0) { detail = $"{Description}: send: {SystemError.Name(sendErr)}"; return Errno.EPIPE; }
        Span<int> fds = stackalloc int[SeqPacketSocket.MaxFds];
        int n = _socket.Receive(_reply, fds, out int nfds);
        try
        {
            if (n <= 0) { detail = n == 0 ? $"{Description}: the daemon closed the connection" : $"{Description}: recvmsg: {SystemError.Name(-n)}"; return Errno.EPIPE; }
            if (n < ReplyHeader.Size) { detail = $"{Description}: short reply"; return Errno.EPROTO; }
            var h = MemoryMarshal.Read<ReplyHeader>(_reply);
            if (h.MessageLength != message.Length || h.DetailLength < 0 || ReplyHeader.Size + h.MessageLength + h.DetailLength != n)
            { detail = $"{Description}: malformed reply"; return Errno.EPROTO; }
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
                try { map = SharedRegionCache.Acquire(memfd, Description); }
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
