using System.Runtime.CompilerServices;

namespace Netmap.Interop;

/// <summary>
/// A MAP_SHARED mapping of a memfd (a netmap memory region). Hands out refs and spans by byte offset, so that
/// no code above Interop needs pointers. Offsets are checked against the mapping length by the callers that
/// read them from shared memory (they are untrusted); the accessors here check only in debug builds.
/// </summary>
internal sealed unsafe class MappedMemory : IDisposable
{
    private byte* _base;

    private MappedMemory(byte* b, long length, int fd) { _base = b; Length = length; Fd = fd; }

    /// <summary>Mapped length in bytes.</summary>
    public long Length { get; }

    /// <summary>The memfd this mapping was made from (owned: closed on Dispose).</summary>
    public int Fd { get; private set; }

    /// <summary>Base address, only for identity and diagnostics (never dereferenced above Interop).</summary>
    public nint BaseAddress => (nint)_base;

    /// <summary>Creates an anonymous memfd of <paramref name="length"/> bytes and maps it.</summary>
    public static MappedMemory CreateMemfd(string name, long length)
    {
        int fd;
        var bytes = System.Text.Encoding.ASCII.GetBytes(name + "\0");
        fixed (byte* p = bytes) fd = Libc.memfd_create(p, Libc.MFD_CLOEXEC);
        if (fd < 0) throw SystemError.Last(name, "memfd_create");
        if (Libc.ftruncate(fd, length) != 0) { var e = SystemError.Last(name, "ftruncate"); Libc.close(fd); throw e; }
        try { return Map(name, fd, length); }
        catch { Libc.close(fd); throw; }
    }

    /// <summary>Maps <paramref name="length"/> bytes of <paramref name="fd"/>; takes ownership of fd on success.</summary>
    public static MappedMemory Map(string name, int fd, long length)
    {
        void* p = Libc.mmap(null, (nuint)length, Libc.PROT_READ | Libc.PROT_WRITE, Libc.MAP_SHARED, fd, 0);
        if (p == (void*)-1) throw SystemError.Last(name, "mmap");
        return new MappedMemory((byte*)p, length, fd);
    }

    /// <summary>Size of the file behind <paramref name="fd"/>.</summary>
    public static long FileSize(int fd)
    {
        try
        {
            using var h = new Microsoft.Win32.SafeHandles.SafeFileHandle(fd, ownsHandle: false);
            return RandomAccess.GetLength(h);
        }
        catch (Exception) { return -1; }
    }

    /// <summary>Closes the memfd but keeps the mapping (which stays valid): for a process that must hold no descriptor
    /// of its own beside the program's (the C interposer's library).</summary>
    public void CloseDescriptor()
    {
        if (Fd >= 0) { Libc.close(Fd); Fd = -1; }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ref T Ref<T>(long offset) where T : unmanaged
    {
        System.Diagnostics.Debug.Assert((ulong)offset + (ulong)sizeof(T) <= (ulong)Length, "offset outside the mapping");
        return ref *(T*)(_base + offset);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Span<byte> Span(long offset, int length)
    {
        System.Diagnostics.Debug.Assert((ulong)offset + (ulong)length <= (ulong)Length, "span outside the mapping");
        return new Span<byte>(_base + offset, length);
    }

    /// <summary>Span of <paramref name="count"/> T starting at <paramref name="offset"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Span<T> Span<T>(long offset, int count) where T : unmanaged
    {
        System.Diagnostics.Debug.Assert((ulong)offset + (ulong)count * (ulong)sizeof(T) <= (ulong)Length, "span outside the mapping");
        return new Span<T>(_base + offset, count);
    }

    /// <summary>True when [offset, offset+length) lies inside the mapping (for offsets read from shared memory).</summary>
    public bool Contains(long offset, long length) => offset >= 0 && length >= 0 && (ulong)offset + (ulong)length <= (ulong)Length;

    public void Dispose()
    {
        if (_base != null) { Libc.munmap(_base, (nuint)Length); _base = null; }
        if (Fd >= 0) { Libc.close(Fd); Fd = -1; }
        GC.SuppressFinalize(this);
    }

    ~MappedMemory() { if (_base != null) Libc.munmap(_base, (nuint)Length); if (Fd >= 0) Libc.close(Fd); }
}
