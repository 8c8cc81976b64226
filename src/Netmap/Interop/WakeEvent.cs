namespace Netmap.Interop;

/// <summary>
/// An eventfd private to this process (never handed to anyone else, unlike a kick line): a thread adds it to the
/// descriptors it sleeps on in poll(2) so that another thread of the process can end that sleep (a port disposed under
/// a sleeping <c>Poll</c>). Non-blocking; <see cref="Signal"/> and <see cref="Drain"/> never block.
/// </summary>
internal sealed unsafe class WakeEvent : IDisposable
{
    [ThreadStatic] private static WakeEvent? t_current;

    private int _fd;

    private WakeEvent(int fd) { _fd = fd; }

    /// <summary>The descriptor to poll for POLLIN.</summary>
    public int Fd => _fd;

    /// <summary>The calling thread's own event, made on first use. It lives as long as the thread: once the thread has
    /// ended nothing refers to it and the finalizer closes the descriptor.</summary>
    public static WakeEvent ForCurrentThread() => t_current ??= Create("thread wake event");

    public static WakeEvent Create(string owner)
    {
        int fd = Libc.eventfd(0, Libc.EFD_NONBLOCK | Libc.EFD_CLOEXEC);
        if (fd < 0) throw SystemError.Last(owner, "eventfd");
        return new WakeEvent(fd);
    }

    /// <summary>Makes <see cref="Fd"/> readable until the next <see cref="Drain"/>.</summary>
    public void Signal()
    {
        ulong one = 1;
        Libc.write(_fd, &one, 8);
    }

    /// <summary>Resets the event; false when it was not signalled.</summary>
    public bool Drain()
    {
        ulong v;
        return Libc.read(_fd, &v, 8) == 8;
    }

    public void Dispose()
    {
        int fd = Interlocked.Exchange(ref _fd, -1);
        if (fd >= 0) Libc.close(fd);
        GC.SuppressFinalize(this);
    }

    ~WakeEvent() { if (_fd >= 0) Libc.close(_fd); }
}
