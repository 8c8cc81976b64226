using System.Runtime.InteropServices;

namespace Netmap.Interop;

/// <summary>
/// An epoll descriptor. Two uses: one fd a program can put in its own poll/select/epoll loop for a port whose wakeups
/// come from several sources (eventfd + kernel sockets: <see cref="Create(ReadOnlySpan{int}, string)"/>), and
/// netmapd's event loop (<see cref="Create(string)"/>, then <see cref="Add"/>/<see cref="Modify"/>/<see cref="Remove"/>
/// from any thread, <see cref="Wait"/> from the loop's).
/// </summary>
internal sealed unsafe partial class EpollSet : IDisposable
{
    private const int EPOLL_CLOEXEC = 0x80000, EPOLL_CTL_ADD = 1, EPOLL_CTL_DEL = 2, EPOLL_CTL_MOD = 3;

    [LibraryImport("libc.so.6", SetLastError = true)] private static partial int epoll_create1(int flags);
    [LibraryImport("libc.so.6", SetLastError = true)] private static partial int epoll_ctl(int epfd, int op, int fd, EpollEvent* ev);
    [LibraryImport("libc.so.6", SetLastError = true)] private static partial int epoll_wait(int epfd, EpollEvent* events, int maxEvents, int timeoutMs);

    private EpollSet(int fd) => Fd = fd;

    public int Fd { get; private set; }

    /// <summary>An epoll set watching each of <paramref name="fds"/> for POLLIN (tagged with the descriptor).</summary>
    public static EpollSet Create(ReadOnlySpan<int> fds, string owner)
    {
        var set = Create(owner);
        foreach (int fd in fds)
        {
            int err = set.Add(fd, EpollEvent.In, (ulong)fd);
            if (err != 0)
            {
                set.Dispose();
                throw new NetmapException((Abi.Errno)err, $"{owner}: epoll_ctl: {SystemError.Name(err)}");
            }
        }
        return set;
    }

    /// <summary>An empty epoll set.</summary>
    public static EpollSet Create(string owner)
    {
        int ep = epoll_create1(EPOLL_CLOEXEC);
        if (ep < 0) throw SystemError.Last(owner, "epoll_create1");
        return new EpollSet(ep);
    }

    /// <summary>Watches <paramref name="fd"/> for <paramref name="events"/>, reported with <paramref name="data"/>. 0 or an errno.</summary>
    public int Add(int fd, uint events, ulong data) => Control(EPOLL_CTL_ADD, fd, events, data);

    /// <summary>Changes what <paramref name="fd"/> is watched for (re-arms an EPOLLONESHOT descriptor). 0 or an errno.</summary>
    public int Modify(int fd, uint events, ulong data) => Control(EPOLL_CTL_MOD, fd, events, data);

    /// <summary>Stops watching <paramref name="fd"/>. 0 or an errno.</summary>
    public int Remove(int fd) => Control(EPOLL_CTL_DEL, fd, 0, 0);

    private int Control(int op, int fd, uint events, ulong data)
    {
        var ev = new EpollEvent { Events = events, Data = data };
        return epoll_ctl(Fd, op, fd, &ev) == 0 ? 0 : Libc.LastErrno;
    }

    /// <summary>epoll_wait into <paramref name="events"/>: the number of ready entries, 0 on timeout or EINTR, -errno on
    /// another failure. Allocates nothing.</summary>
    public int Wait(Span<EpollEvent> events, int timeoutMs)
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
