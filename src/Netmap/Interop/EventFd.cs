namespace Netmap.Interop;

/// <summary>A non-blocking eventfd: the wakeup line of a port. Signal = write 1, Drain = read the counter.</summary>
internal sealed unsafe class EventFd : IDisposable
{
    public EventFd(int fd) => Fd = fd;

    public int Fd { get; private set; }

    public static EventFd Create(string owner)
    {
        int fd = Libc.eventfd(0, Libc.EFD_NONBLOCK | Libc.EFD_CLOEXEC);
        if (fd < 0) throw SystemError.Last(owner, "eventfd");
        return new EventFd(fd);
    }

    /// <summary>Adds 1 to the counter (wakes pollers). Never blocks; errors are ignored (peer side may be gone).</summary>
    public void Signal() => Signal(Fd);

    public static void Signal(int fd)
    {
        ulong one = 1;
        Libc.write(fd, &one, 8);
    }

    /// <summary>Resets the counter to 0; returns false when it was already 0.</summary>
    public bool Drain() => Drain(Fd);

    public static bool Drain(int fd)
    {
        ulong v;
        return Libc.read(fd, &v, 8) == 8;
    }

    public void Dispose()
    {
        if (Fd >= 0) { Libc.close(Fd); Fd = -1; }
    }
}
