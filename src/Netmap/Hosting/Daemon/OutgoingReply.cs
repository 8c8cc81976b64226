using System.Buffers;

namespace Netmap.Hosting.Daemon;

/// <summary>
/// A reply the socket could not take at once (the client is not reading) or one completed later (deferred): the bytes
/// in a pooled buffer, returned once sent or dropped, and the descriptors to pass. The descriptors are borrowed: they
/// belong to the engine objects of the connection's session, which live at least as long as the connection.
/// </summary>
internal sealed class OutgoingReply
{
    private byte[]? _buffer;
    private readonly int _length;

    public OutgoingReply(ReadOnlySpan<byte> bytes, ReadOnlySpan<int> descriptors)
    {
        _buffer = ArrayPool<byte>.Shared.Rent(bytes.Length);
        bytes.CopyTo(_buffer);
        _length = bytes.Length;
        Descriptors = descriptors.IsEmpty ? [] : descriptors.ToArray();
    }

    public ReadOnlySpan<byte> Bytes => _buffer.AsSpan(0, _length);
    public int[] Descriptors { get; }

    public void Release()
    {
        var b = Interlocked.Exchange(ref _buffer, null);
        if (b is not null) ArrayPool<byte>.Shared.Return(b);
    }
}
