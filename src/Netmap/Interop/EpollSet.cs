using System.Runtime.InteropServices;

namespace Netmap.Interop;

/// <summary>An epoll descriptor watching several descriptors for POLLIN: one fd a program can put in its own
/// poll/select/epoll loop for a port whose wakeups come from several sources (kick line + kernel sockets), or a
/// thread's wait set that grows and shrinks (a VALE worker's ports).</summary>
internal sealed unsafe partial class EpollSet : IDisposable
{
    private const int EPOLL_CLOEXEC = 0x80000, EPOLL_CTL_ADD = 1, EPOLL_CTL_DEL = 2;
    private const uint EPOLLIN = 1;

    [StructLayout(LayoutKind.Sequential, Pack = 1)]
    private struct EpollEvent { public uint Events; public ulong Data; } // 12 bytes on x86-64

    [LibraryImport("libc.so.6", SetLastError = true)] private static partial int epoll_create1(int flags);
    [LibraryImport("libc.so.6", SetLastError = true)] private static partial int epoll_ctl(int epfd, int op, int fd, EpollEvent* ev);
    [LibraryImport("libc.so.6", SetLastError = true)] private static partial int epoll_wait(int epfd, EpollEvent* events, int max, int timeoutMs);

    private readonly string _owner;

    private EpollSet(int fd, string owner) { Fd = fd; _owner = owner; }

    public int Fd { get; private set; }

    public static EpollSet Create(ReadOnlySpan<int> fds, string owner)
    {
        int ep = epoll_create1(EPOLL_CLOEXEC);
        if (ep < 0) throw SystemError.Last(owner, "epoll_create1");
        var set = new EpollSet(ep, owner);
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

    /// <summary>Watches <paramref name="fd"/> for POLLIN; <see cref="Wait"/> reports it by its number.</summary>
    public void Add(int fd)
    {
        var ev = new EpollEvent { Events = EPOLLIN, Data = (ulong)(uint)fd };
        if (epoll_ctl(Fd, EPOLL_CTL_ADD, fd, &ev) != 0) throw SystemError.Last(_owner, "epoll_ctl");
    }

    /// <summary>Stops watching <paramref name="fd"/> (no error if it was not watched).</summary>
    public void Remove(int fd)
    {
        var ev = default(EpollEvent);
        epoll_ctl(Fd, EPOLL_CTL_DEL, fd, &ev);
    }

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

    public void Dispose()
    {
        if (Fd >= 0) Libc.close(Fd);
        Fd = -1;
    }
}
