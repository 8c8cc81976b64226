using System.Runtime.CompilerServices;

namespace Netmap.Interop;

/// <summary>
/// A MAP_SHARED mapping of a memfd (a netmap memory region). Hands out refs and spans by byte offset, so that
/// no code above Interop needs pointers. Offsets are checked against the mapping length by the callers that
/// read them from shared memory (they are untrusted); the accessors here check only in debug builds.
/// </summary>
/// <remarks>
/// Release never leaves a hole: <see cref="Dispose"/> replaces the shared pages with a private anonymous mapping of the
/// same size at the same address (one mmap with MAP_FIXED, atomic for every other thread), so a ring view, a slot ref
/// or a span somebody still uses reads zeros and writes into memory nobody else sees instead of faulting; the memfd's
/// pages are given back at once. The placeholder (address space only: MAP_NORESERVE, untouched pages cost nothing)
/// is unmapped by the finalizer, when no ring view or port refers to this object any more.
/// </remarks>
internal sealed unsafe class MappedMemory : IDisposable
{
    private byte* _base;
    private int _released;

    private MappedMemory(byte* b, long length, int fd) { _base = b; Length = length; Fd = fd; }

    /// <summary>Mapped length in bytes.</summary>
    public long Length { get; }

    /// <summary>The memfd this mapping was made from (owned: closed on Dispose).</summary>
    public int Fd { get; private set; }

    /// <summary>Base address, only for identity and diagnostics (never dereferenced above Interop); 0 once released.</summary>
    public nint BaseAddress => _released != 0 ? 0 : (nint)_base;

    /// <summary>True once <see cref="Dispose"/> replaced the shared pages by the placeholder.</summary>
    public bool IsReleased => _released != 0;

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

    /// <summary>Gives the region's pages back and leaves the placeholder described in the remarks (idempotent).</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _released, 1) != 0) return;
        // If the placeholder cannot be made (address space exhausted) the shared mapping stays until the finalizer:
        // memory is kept longer, but nothing can fault.
        Libc.mmap(_base, (nuint)Length, Libc.PROT_READ | Libc.PROT_WRITE,
            Libc.MAP_PRIVATE | Libc.MAP_ANONYMOUS | Libc.MAP_FIXED | Libc.MAP_NORESERVE, -1, 0);
        if (Fd >= 0) { Libc.close(Fd); Fd = -1; }
    }

    ~MappedMemory()
    {
        if (_base != null) Libc.munmap(_base, (nuint)Length);
        if (_released == 0 && Fd >= 0) Libc.close(Fd);
    }
}
