using System.Runtime.InteropServices;

namespace Netmap.Interop;

/// <summary>
/// An epoll descriptor. Three uses: one fd a program can put in its own poll/select/epoll loop for a port whose
/// wakeups come from several sources (kick line + kernel sockets), a thread's wait set that grows and shrinks (a VALE
/// worker's ports: <see cref="Add(int)"/>, <see cref="Remove(int)"/>, <see cref="Wait(Span{int}, int)"/>, descriptors
/// reported by number), and netmapd's event loop (<see cref="Watch"/>, <see cref="Rearm"/>, <see cref="Unwatch"/> from
/// any thread with events and a 64-bit tag of the caller's, <see cref="WaitEvents"/> from the loop's).
/// </summary>
internal sealed unsafe partial class EpollSet : IDisposable
{
    private const int EPOLL_CLOEXEC = 0x80000, EPOLL_CTL_ADD = 1, EPOLL_CTL_DEL = 2, EPOLL_CTL_MOD = 3;

    [LibraryImport("libc.so.6", SetLastError = true)] private static partial int epoll_create1(int flags);
    [LibraryImport("libc.so.6", SetLastError = true)] private static partial int epoll_ctl(int epfd, int op, int fd, EpollEvent* ev);
    [LibraryImport("libc.so.6", SetLastError = true)] private static partial int epoll_wait(int epfd, EpollEvent* events, int max, int timeoutMs);

    private readonly string _owner;

    private EpollSet(int fd, string owner) { Fd = fd; _owner = owner; }

    public int Fd { get; private set; }

    /// <summary>An epoll set watching each of <paramref name="fds"/> for POLLIN.</summary>
    public static EpollSet Create(ReadOnlySpan<int> fds, string owner)
    {
        var set = Create(owner);
        try
        {
            foreach (int fd in fds) set.Add(fd);
        }
        catch
        {
            set.Dispose();
            throw;
        }
        return set;
    }

    /// <summary>An empty epoll set.</summary>
    public static EpollSet Create(string owner)
    {
        int ep = epoll_create1(EPOLL_CLOEXEC);
        if (ep < 0) throw SystemError.Last(owner, "epoll_create1");
        return new EpollSet(ep, owner);
    }

    /// <summary>Watches <paramref name="fd"/> for POLLIN; <see cref="Wait(Span{int}, int)"/> reports it by its number.</summary>
    public void Add(int fd)
    {
        var ev = new EpollEvent { Events = EpollEvent.In, Data = (ulong)(uint)fd };
        if (epoll_ctl(Fd, EPOLL_CTL_ADD, fd, &ev) != 0) throw SystemError.Last(_owner, "epoll_ctl");
    }

    /// <summary>Stops watching <paramref name="fd"/> (no error if it was not watched).</summary>
    public void Remove(int fd) => Unwatch(fd);

    /// <summary>Waits up to <paramref name="timeoutMs"/> (-1 = forever) and writes the ready descriptors into
    /// <paramref name="ready"/>; returns how many (0 on timeout or EINTR). Allocates nothing.</summary>
    public int Wait(Span<int> ready, int timeoutMs)
    {
        int max = Math.Min(ready.Length, 64);
        if (max == 0) return 0;
        EpollEvent* evs = stackalloc EpollEvent[max];
        int n = epoll_wait(Fd, evs, max, timeoutMs);
        for (int i = 0; i < n; i++) ready[i] = (int)(uint)evs[i].Data;
        return n > 0 ? n : 0;
    }

    /// <summary>Watches <paramref name="fd"/> for <paramref name="events"/>, reported with <paramref name="tag"/>. 0 or an errno.</summary>
    public int Watch(int fd, uint events, ulong tag) => Control(EPOLL_CTL_ADD, fd, events, tag);

    /// <summary>Changes what <paramref name="fd"/> is watched for (re-arms an EPOLLONESHOT descriptor). 0 or an errno.</summary>
    public int Rearm(int fd, uint events, ulong tag) => Control(EPOLL_CTL_MOD, fd, events, tag);

    /// <summary>Stops watching <paramref name="fd"/>. 0 or an errno.</summary>
    public int Unwatch(int fd) => Control(EPOLL_CTL_DEL, fd, 0, 0);

    private int Control(int op, int fd, uint events, ulong tag)
    {
        var ev = new EpollEvent { Events = events, Data = tag };
        return epoll_ctl(Fd, op, fd, &ev) == 0 ? 0 : Libc.LastErrno;
    }

    /// <summary>epoll_wait into <paramref name="events"/>: the number of ready entries, 0 on timeout or EINTR, -errno on
    /// another failure. Allocates nothing.</summary>
    public int WaitEvents(Span<EpollEvent> events, int timeoutMs)
    {
        fixed (EpollEvent* e = events)
        {
            int n = epoll_wait(Fd, e, events.Length, timeoutMs);
            if (n >= 0) return n;
            int err = Libc.LastErrno;
            return err == Libc.EINTR ? 0 : -err;
        }
    }

    public void Dispose()
    {
        if (Fd >= 0) Libc.close(Fd);
        Fd = -1;
    }
}
