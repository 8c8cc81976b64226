using System.Runtime.CompilerServices;

namespace Netmap.Interop;

/// <summary>
/// This process's mapping of the TPACKET_V3 RX and TX rings of a packet socket (layout in
/// <see cref="TpacketGeometry"/>). Hands out refs and spans; callers pass offsets they have checked against the
/// geometry (the accessors check only in debug builds). Every process that maps the same socket sees the same
/// pages. Dispose unmaps; the descriptor stays open (it belongs to the caller).
/// </summary>
internal sealed unsafe class TpacketRings : IDisposable
{
    private byte* _base;
    private readonly long _length;
    private readonly long _rxBytes;
    private readonly uint _blockSize;
    private readonly uint _frameSize;
    private readonly uint _framesPerBlock;

    private TpacketRings(byte* b, in TpacketGeometry g)
    {
        _base = b; _length = g.TotalBytes; _rxBytes = g.RxBytes;
        _blockSize = g.BlockSize; _frameSize = g.TxFrameSize; _framesPerBlock = g.TxFramesPerBlock;
        Geometry = g;
    }

    public TpacketGeometry Geometry { get; }

    /// <summary>Maps the rings of packet socket <paramref name="fd"/>. The kernel refuses a length that is not
    /// exactly the size of its rings (EINVAL), which catches geometry that does not describe this socket.</summary>
    public static TpacketRings Map(int fd, in TpacketGeometry g, string owner)
    {
        if (!g.IsValid(out string why))
            throw NetmapException.Create(owner, "TPACKET mmap", Errno.EINVAL, why);
        void* p = Libc.mmap(null, (nuint)g.TotalBytes, Libc.PROT_READ | Libc.PROT_WRITE, Libc.MAP_SHARED | Libc.MAP_POPULATE, fd, 0);
        if (p == (void*)-1)
        {
            int e = Libc.LastErrno;
            throw NetmapException.Create(owner, "TPACKET mmap", (Errno)e,
                e == 22 ? $"the socket's rings are not {g.TotalBytes} bytes (block {g.BlockSize} x {g.RxBlocks} RX, frame {g.TxFrameSize} x {g.TxFrames} TX)" : SystemError.Name(e));
        }
        return new TpacketRings((byte*)p, g);
    }

    /// <summary>The head of RX block <paramref name="block"/> (&lt; RxBlocks).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ref TpacketBlockDesc Block(uint block)
    {
        System.Diagnostics.Debug.Assert((long)block * _blockSize < _rxBytes, "block outside the RX ring");
        return ref *(TpacketBlockDesc*)(_base + (long)block * _blockSize);
    }

    /// <summary>The frame header at <paramref name="offset"/> in RX block <paramref name="block"/>
    /// (offset + 48 &lt;= block size).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ref Tpacket3Header RxFrame(uint block, uint offset)
    {
        System.Diagnostics.Debug.Assert(offset + (ulong)Tpacket3Header.Size <= _blockSize, "frame header outside the block");
        return ref *(Tpacket3Header*)(_base + (long)block * _blockSize + offset);
    }

    /// <summary><paramref name="length"/> bytes at <paramref name="offset"/> in RX block <paramref name="block"/>
    /// (offset + length &lt;= block size).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ReadOnlySpan<byte> RxBytes(uint block, uint offset, int length)
    {
        System.Diagnostics.Debug.Assert(offset + (ulong)(uint)length <= _blockSize, "bytes outside the block");
        return new ReadOnlySpan<byte>(_base + (long)block * _blockSize + offset, length);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private byte* TxFrameAddress(uint frame)
    {
        uint b = frame / _framesPerBlock, f = frame - b * _framesPerBlock;
        System.Diagnostics.Debug.Assert(_rxBytes + (long)(b + 1) * _blockSize <= _length, "frame outside the TX ring");
        return _base + _rxBytes + (long)b * _blockSize + (long)f * _frameSize;
    }

    /// <summary>The header of TX frame <paramref name="frame"/> (&lt; TxFrames).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ref Tpacket3Header TxFrame(uint frame) => ref *(Tpacket3Header*)TxFrameAddress(frame);

    /// <summary>The data area of TX frame <paramref name="frame"/> (TxFrameSize - 48 bytes).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Span<byte> TxData(uint frame) => new(TxFrameAddress(frame) + Tpacket3Header.TxDataOffset, (int)(_frameSize - Tpacket3Header.TxDataOffset));

    public void Dispose()
    {
        if (_base != null) { Libc.munmap(_base, (nuint)_length); _base = null; }
        GC.SuppressFinalize(this);
    }

    ~TpacketRings() { if (_base != null) Libc.munmap(_base, (nuint)_length); }
}
