using System.Buffers;
using Netmap.Abi;

namespace Netmap.Hosting.Daemon;

/// <summary>
/// The answer to a request that completes after its handler returned (see <see cref="DaemonRequest.Defer"/>). The
/// reply goes out behind any reply already queued on the connection; other requests of the connection may have been
/// answered first, which their <see cref="ReplyHeader.Sequence"/> tells the client. Completing after the connection
/// closed does nothing (the client is gone). Thread-safe; complete exactly once.
/// </summary>
internal sealed class DeferredReply
{
    private readonly DaemonConnection _connection;
    private readonly uint _sequence;
    private readonly Action<DaemonConnection> _schedule;
    private byte[]? _message;
    private readonly int _length;

    internal DeferredReply(DaemonConnection connection, uint sequence, ReadOnlySpan<byte> message, Action<DaemonConnection> schedule)
    {
        _connection = connection; _sequence = sequence; _schedule = schedule;
        _message = ArrayPool<byte>.Shared.Rent(message.Length);
        message.CopyTo(_message);
        _length = message.Length;
        Interlocked.Increment(ref connection.DeferredPending);
    }

    public DaemonConnection Connection => _connection;

    /// <summary>The request's message, to be written back before <see cref="Complete"/>.</summary>
    public Span<byte> Message => (_message ?? throw new InvalidOperationException("already completed")).AsSpan(0, _length);

    /// <summary>Sends the reply (errno, the message as it is now, the detail of a refusal).</summary>
    public void Complete(Errno errno, string? detail = null)
    {
        var message = Interlocked.Exchange(ref _message, null) ?? throw new InvalidOperationException("already completed");
        try
        {
            var bytes = ArrayPool<byte>.Shared.Rent(ReplyHeader.Size + _length + ReplyHeader.MaxDetail);
            try
            {
                int len = ReplyHeader.Write(bytes, errno, _sequence, 0, 0, message.AsSpan(0, _length), errno == Errno.None ? null : detail);
                if (!_connection.Enqueue(new OutgoingReply(bytes.AsSpan(0, len), []))) return;
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(bytes);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(message);
            Interlocked.Decrement(ref _connection.DeferredPending);
        }
        _schedule(_connection);
    }
}
