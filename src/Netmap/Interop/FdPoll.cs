namespace Netmap.Interop;

/// <summary>poll(2) on one or two descriptors.</summary>
internal static unsafe class FdPoll
{
    /// <summary>Waits until <paramref name="fd"/> is readable or <paramref name="timeoutMs"/> passes (-1 = forever).
    /// Returns the revents (0 on timeout or EINTR).</summary>
    public static short WaitReadable(int fd, int timeoutMs)
    {
        Libc.PollFd p = new() { Fd = fd, Events = Libc.POLLIN };
        int r = Libc.poll(&p, 1, timeoutMs);
        return r > 0 ? p.Revents : (short)0;
    }

    /// <summary>True when the peer of socket <paramref name="fd"/> has closed or shut down its writing side
    /// (POLLHUP or POLLRDHUP): tells EOF from an empty SEQPACKET message, both of which read as 0 bytes.</summary>
    public static bool PeerClosed(int fd)
    {
        Libc.PollFd p = new() { Fd = fd, Events = (short)(Libc.POLLIN | Libc.POLLRDHUP) };
        return Libc.poll(&p, 1, 0) > 0 && (p.Revents & HangupEvents) != 0;
    }

    /// <summary>True when the peer of connected socket <paramref name="fd"/> has closed it entirely (POLLHUP: its process
    /// closed the descriptor or ended), not only shut down its writing side (POLLRDHUP alone: an orderly close that
    /// still waits for our answer, as <c>DaemonChannel.Dispose</c> does).</summary>
    public static bool PeerGone(int fd)
    {
        Libc.PollFd p = new() { Fd = fd, Events = (short)(Libc.POLLIN | Libc.POLLRDHUP) };
        return Libc.poll(&p, 1, 0) > 0 && (p.Revents & Libc.POLLHUP) != 0;
    }

    /// <summary>The revents bits that say a socket's peer is gone (or the descriptor unusable).</summary>
    public const short HangupEvents = Libc.POLLHUP | Libc.POLLRDHUP | Libc.POLLERR | Libc.POLLNVAL;

    /// <summary>poll() on two descriptors for POLLIN; returns a bit mask (1 = first, 2 = second ready).</summary>
    public static int WaitReadable(int fd1, int fd2, int timeoutMs)
    {
        Libc.PollFd* p = stackalloc Libc.PollFd[2];
        p[0] = new Libc.PollFd { Fd = fd1, Events = Libc.POLLIN };
        p[1] = new Libc.PollFd { Fd = fd2, Events = Libc.POLLIN };
        int r = Libc.poll(p, 2, timeoutMs);
        if (r <= 0) return 0;
        return (p[0].Revents != 0 ? 1 : 0) | (p[1].Revents != 0 ? 2 : 0);
    }

    /// <summary>Most descriptors <see cref="Wait"/> takes (the pollfd array lives on the stack).</summary>
    public const int MaxDescriptors = 64;

    /// <summary>
    /// poll() on <paramref name="fds"/>, each with its own <paramref name="events"/>, until one is ready or
    /// <paramref name="timeoutMs"/> passes (-1 = forever). Writes each descriptor's revents into
    /// <paramref name="revents"/> (0 when not ready) and returns how many are ready: 0 on timeout, on EINTR, and when
    /// the arguments are unusable (none, more than <see cref="MaxDescriptors"/>, short spans). Allocates nothing.
    /// </summary>
    public static int Wait(ReadOnlySpan<int> fds, ReadOnlySpan<short> events, Span<short> revents, int timeoutMs)
    {
        int n = fds.Length;
        if (n == 0 || n > MaxDescriptors || events.Length < n || revents.Length < n) return 0;
        Libc.PollFd* p = stackalloc Libc.PollFd[n];
        for (int i = 0; i < n; i++) p[i] = new Libc.PollFd { Fd = fds[i], Events = events[i] };
        int r = Libc.poll(p, (nuint)n, timeoutMs);
        for (int i = 0; i < n; i++) revents[i] = r > 0 ? p[i].Revents : (short)0;
        return r > 0 ? r : 0;
    }
}
