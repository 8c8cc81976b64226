using System.Runtime.InteropServices;
using Netmap.Abi;
using Netmap.Engine;

namespace Netmap.Api;

/// <summary>Builds a NIOCCTRL request in message form (header at 0, body right after it, options appended).</summary>
internal sealed class ControlRequest
{
    private byte[] _buffer;
    private int _length;
    private ulong _lastOption;

    public ControlRequest(RequestType type, string name, int bodySize)
    {
        _buffer = new byte[NmReqHeader.Size + Math.Max(bodySize, 0)];
        _length = _buffer.Length;
        ref var h = ref Header;
        h.Version = NetmapConstants.Api;
        h.RequestType = type;
        if (!h.TrySetName(name))
            throw NetmapException.Create(name, $"NIOCCTRL {type}", Errno.EINVAL, $"name longer than {NetmapConstants.RequestIfNameSize - 1} bytes");
        h.Body = bodySize > 0 ? (ulong)NmReqHeader.Size : 0;
    }

    public ref NmReqHeader Header => ref MemoryMarshal.AsRef<NmReqHeader>(_buffer.AsSpan());

    public ref T Body<T>() where T : struct => ref MemoryMarshal.AsRef<T>(_buffer.AsSpan(NmReqHeader.Size));

    public Span<byte> Message => _buffer.AsSpan(0, _length);

    /// <summary>Appends an option (its header's Next is linked here); returns its offset.</summary>
    public ulong AddOption<T>(T option) where T : struct
    {
        int size = Marshal.SizeOf<T>();
        int off = _length;
        Array.Resize(ref _buffer, _length + size);
        MemoryMarshal.Write(_buffer.AsSpan(off), in option);
        _length += size;
        if (_lastOption == 0) Header.Options = (ulong)off;
        else MemoryMarshal.AsRef<NmReqOption>(_buffer.AsSpan((int)_lastOption)).Next = (ulong)off;
        _lastOption = (ulong)off;
        return (ulong)off;
    }

    public ref NmReqOption Option(ulong offset) => ref MemoryMarshal.AsRef<NmReqOption>(_buffer.AsSpan((int)offset));
}
