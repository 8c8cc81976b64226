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

    /// <summary>The seals every region memfd carries before it leaves the engine: its size can never change again
    /// (no shrink, no grow) and nobody can add or remove a seal (so no one can forbid writable mappings either).</summary>
    public const int RegionSeals = Libc.F_SEAL_SHRINK | Libc.F_SEAL_GROW | Libc.F_SEAL_SEAL;

    /// <summary>
    /// Creates an anonymous memfd of <paramref name="length"/> bytes, seals its size (<see cref="RegionSeals"/>) and
    /// maps it. Why the seals: every process that maps a region maps at most its sealed size, so no holder of the
    /// descriptor (a client that ftruncates it) can make a page of anyone's mapping disappear (SIGBUS).
    /// </summary>
    public static MappedMemory CreateMemfd(string name, long length)
    {
        int fd = CreateSealedFd(name, length, RegionSeals);
        try { return Map(name, fd, length); }
        catch { Libc.close(fd); throw; }
    }

    /// <summary>A memfd of <paramref name="length"/> bytes carrying <paramref name="seals"/> (0 = none: only tests,
    /// playing a broken daemon, want that). The caller owns the descriptor.</summary>
    public static int CreateSealedFd(string name, long length, int seals)
    {
        int fd;
        var bytes = System.Text.Encoding.ASCII.GetBytes(name + "\0");
        fixed (byte* p = bytes) fd = Libc.memfd_create(p, Libc.MFD_CLOEXEC | Libc.MFD_ALLOW_SEALING);
        if (fd < 0) throw SystemError.Last(name, "memfd_create");
        if (Libc.ftruncate(fd, length) != 0) { var e = SystemError.Last(name, "ftruncate"); Libc.close(fd); throw e; }
        if (seals != 0 && Libc.fcntl(fd, Libc.F_ADD_SEALS, seals) != 0) { var e = SystemError.Last(name, "fcntl(F_ADD_SEALS)"); Libc.close(fd); throw e; }
        return fd;
    }

    /// <summary>Maps <paramref name="length"/> bytes of <paramref name="fd"/>; takes ownership of fd on success.</summary>
    public static MappedMemory Map(string name, int fd, long length)
    {
        void* p = Libc.mmap(null, (nuint)length, Libc.PROT_READ | Libc.PROT_WRITE, Libc.MAP_SHARED, fd, 0);
        if (p == (void*)-1) throw SystemError.Last(name, "mmap");
        return new MappedMemory((byte*)p, length, fd);
    }

    /// <summary>
    /// Checks a region memfd received from an engine before it is mapped (a fake or broken daemon must not be able
    /// to SIGBUS its client): it must carry <see cref="RegionSeals"/> and be at least <paramref name="minLength"/>
    /// bytes. Returns the size to map (the sealed size: it cannot change after this check). Throws EACCES (not
    /// sealed) or EFAULT (too small), naming <paramref name="owner"/>; the caller still owns fd.
    /// </summary>
    public static long CheckSealedRegion(int fd, long size, long minLength, string owner)
    {
        int seals = Libc.fcntl(fd, Libc.F_GET_SEALS, 0);
        if (seals < 0)
            throw NetmapException.Create(owner, "mmap", Errno.EACCES, $"the region descriptor is not a sealable memfd ({SystemError.Name(Libc.LastErrno)}): refusing to map it");
        if ((seals & RegionSeals) != RegionSeals)
            throw NetmapException.Create(owner, "mmap", Errno.EACCES, $"the region memfd is not sealed against resizing (seals 0x{seals:x}, need 0x{RegionSeals:x}): refusing to map it");
        if (size < minLength || size <= 0)
            throw NetmapException.Create(owner, "mmap", Errno.EFAULT, $"the region memfd holds {size} bytes, fewer than the {minLength} the reply describes");
        return size;
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
