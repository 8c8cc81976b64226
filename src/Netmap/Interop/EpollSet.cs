using System.Runtime.InteropServices;

namespace Netmap.Interop;

/// <summary>An epoll descriptor watching several descriptors for POLLIN: one fd a program can put in its own
/// poll/select/epoll loop for a port whose wakeups come from several sources (eventfd + kernel sockets).</summary>
internal sealed unsafe partial class EpollSet : IDisposable
{
    private const int EPOLL_CLOEXEC = 0x80000, EPOLL_CTL_ADD = 1;
    private const uint EPOLLIN = 1;

    [StructLayout(LayoutKind.Sequential, Pack = 1)]
    private struct EpollEvent { public uint Events; public ulong Data; } // 12 bytes on x86-64

    [LibraryImport("libc.so.6", SetLastError = true)] private static partial int epoll_create1(int flags);
    [LibraryImport("libc.so.6", SetLastError = true)] private static partial int epoll_ctl(int epfd, int op, int fd, EpollEvent* ev);

    private EpollSet(int fd) => Fd = fd;

    public int Fd { get; private set; }

    public static EpollSet Create(ReadOnlySpan<int> fds, string owner)
    {
        int ep = epoll_create1(EPOLL_CLOEXEC);
        if (ep < 0) throw SystemError.Last(owner, "epoll_create1");
        foreach (int fd in fds)
        {
            var ev = new EpollEvent { Events = EPOLLIN, Data = (ulong)fd };
            if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) != 0)
            {
                var e = SystemError.Last(owner, "epoll_ctl");
                Libc.close(ep);
                throw e;
            }
        }
        return new EpollSet(ep);
    }

    public void Dispose()
    {
        if (Fd >= 0) Libc.close(Fd);
        Fd = -1;
    }
}
