using System.Runtime.CompilerServices;

namespace Netmap.Interop;

/// <summary>
/// One of the four rings of an XSK mapped into this process: free-running u32 producer and consumer, flags, and
/// <see cref="Entries"/> (a power of two) entries indexed modulo the ring. RX and TX rings hold
/// <see cref="XdpDesc"/>, fill and completion rings hold u64 UMEM addresses. Every index is masked, so no value
/// read from the ring (another process may have scribbled it) can reach outside the mapping. The user side of a
/// ring writes one index (producer of fill/TX, consumer of RX/completion); the kernel writes the other.
/// </summary>
internal sealed unsafe class XskRing : IDisposable
{
    private byte* _map;
    private readonly nuint _length;
    private readonly uint* _producer;
    private readonly uint* _consumer;
    private readonly uint* _flags;
    private readonly byte* _entries;

    private XskRing(byte* map, nuint length, in XskRingOffset off, uint entries)
    {
        _map = map; _length = length;
        _producer = (uint*)(map + off.Producer);
        _consumer = (uint*)(map + off.Consumer);
        _flags = (uint*)(map + off.Flags);
        _entries = map + off.Desc;
        Entries = entries;
        Mask = entries - 1;
    }

    public uint Entries { get; }
    public uint Mask { get; }

    /// <summary>Maps the ring at page offset <paramref name="pgoff"/> (XskSocket.PgOff*) of XSK <paramref name="fd"/>.
    /// The kernel refuses (EINVAL) a length beyond the ring it allocated, which also checks <paramref name="entries"/>.</summary>
    public static XskRing Map(int fd, long pgoff, in XskRingOffset off, uint entries, int entrySize, string owner, string what)
    {
        if (entries == 0 || (entries & (entries - 1)) != 0)
            throw NetmapException.Create(owner, $"AF_XDP mmap {what} ring", Errno.EINVAL, $"{entries} entries is not a power of two");
        ulong end = Math.Max(Math.Max(off.Producer, off.Consumer), off.Flags) + 4;
        ulong len = off.Desc + (ulong)entries * (ulong)entrySize;
        if (end > off.Desc || len > int.MaxValue)
            throw NetmapException.Create(owner, $"AF_XDP mmap {what} ring", Errno.EINVAL, "the kernel's ring offsets are not usable");
        void* p = Libc.mmap(null, (nuint)len, Libc.PROT_READ | Libc.PROT_WRITE, Libc.MAP_SHARED | Libc.MAP_POPULATE, fd, pgoff);
        if (p == (void*)-1) throw SystemError.Last(owner, $"AF_XDP mmap {what} ring");
        return new XskRing((byte*)p, (nuint)len, off, entries);
    }

    /// <summary>Producer index (free running).</summary>
    public ref uint Producer { [MethodImpl(MethodImplOptions.AggressiveInlining)] get => ref *_producer; }

    /// <summary>Consumer index (free running).</summary>
    public ref uint Consumer { [MethodImpl(MethodImplOptions.AggressiveInlining)] get => ref *_consumer; }

    /// <summary>Ring flags (<see cref="XskSocket.RingNeedWakeup"/>), written by the kernel.</summary>
    public ref uint Flags { [MethodImpl(MethodImplOptions.AggressiveInlining)] get => ref *_flags; }

    /// <summary>Descriptor <paramref name="index"/> modulo the ring (RX/TX rings).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ref XdpDesc Desc(uint index) => ref ((XdpDesc*)_entries)[index & Mask];

    /// <summary>Address <paramref name="index"/> modulo the ring (fill/completion rings).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ref ulong Addr(uint index) => ref ((ulong*)_entries)[index & Mask];

    public void Dispose()
    {
        if (_map != null) { Libc.munmap(_map, _length); _map = null; }
        GC.SuppressFinalize(this);
    }

    ~XskRing() { if (_map != null) Libc.munmap(_map, _length); }
}
