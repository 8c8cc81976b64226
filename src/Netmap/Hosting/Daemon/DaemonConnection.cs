using Netmap.Engine;
using Netmap.Interop;

namespace Netmap.Hosting.Daemon;

/// <summary>
/// One client connection of netmapd (netmap's open /dev/netmap descriptor): the non-blocking socket, who is on the
/// other side (SO_PEERCRED), its engine session, and what the server keeps between two turns — the replies not yet
/// accepted by the socket. No buffer lives here while the connection is idle: request and reply buffers belong to
/// the request threads; only a reply that could not be sent at once is kept (in a pooled buffer).
/// </summary>
/// <remarks>
/// <see cref="State"/> makes a connection the business of at most one request thread at a time, so its requests are
/// processed in order, one at a time: the event loop, a deferred completion or shutdown moves it from
/// <see cref="Idle"/> to <see cref="Scheduled"/> (CAS) and queues it; the thread serving it moves it back before
/// re-arming its epoll registration (EPOLLONESHOT), or to <see cref="Closed"/>.
/// </remarks>
internal sealed class DaemonConnection
{
    public const int Idle = 0, Scheduled = 1, Closed = 2;

    private readonly Queue<OutgoingReply> _outgoing = new(0);

    public DaemonConnection(long id, SeqPacketSocket socket, int pid, uint uid)
    {
        Id = id; Socket = socket; Pid = pid; Uid = uid;
        Peer = $"pid {pid} uid {uid}";
    }

    /// <summary>The epoll tag of this connection (never reused, unlike descriptor numbers).</summary>
    public long Id { get; }
    public SeqPacketSocket Socket { get; }
    public int Pid { get; }
    public uint Uid { get; }
    /// <summary>"pid 1234 uid 1000", for logs.</summary>
    public string Peer { get; }

    /// <summary>The engine session (what the request handler keeps per connection).</summary>
    public EngineSession? Session { get; set; }

    /// <summary><see cref="Idle"/>, <see cref="Scheduled"/> or <see cref="Closed"/>.</summary>
    public int State;

    /// <summary>Messages received so far: the sequence number of the last one (written by the serving thread only).</summary>
    public uint Received;

    /// <summary>Consecutive empty messages (the serving thread only).</summary>
    public int EmptyInARow;

    /// <summary>Deferred requests not completed yet (Interlocked).</summary>
    public int DeferredPending;

    /// <summary>True when a reply waits for the socket to accept it.</summary>
    public bool HasOutgoing { get { lock (_outgoing) return _outgoing.Count > 0; } }

    /// <summary>Queues a reply behind those already waiting. False once the connection is closed (the reply is dropped).</summary>
    public bool Enqueue(OutgoingReply reply)
    {
        lock (_outgoing)
        {
            if (Volatile.Read(ref State) == Closed) { reply.Release(); return false; }
            _outgoing.Enqueue(reply);
            return true;
        }
    }

    /// <summary>
    /// Sends queued replies in order: 0 when none is left, EAGAIN when the socket is full (the rest stays queued), another
    /// errno when the connection is broken.
    /// </summary>
    public int Flush()
    {
        lock (_outgoing)
        {
            while (_outgoing.Count > 0)
            {
                var r = _outgoing.Peek();
                int err = Socket.Send(r.Bytes, r.Descriptors, dontWait: true);
                if (err != 0) return err;
                _outgoing.Dequeue().Release();
            }
            return 0;
        }
    }

    /// <summary>Drops queued replies (the connection is closing); later ones are refused by <see cref="Enqueue"/>.</summary>
    public void DropOutgoing()
    {
        lock (_outgoing)
        {
            while (_outgoing.Count > 0) _outgoing.Dequeue().Release();
        }
    }
}
