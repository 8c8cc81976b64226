namespace Netmap.Interop;

/// <summary>poll(2) for POLLIN on a small set of descriptors (a forwarder sleeping on several ports at once).</summary>
internal static unsafe class FdPollMany
{
    /// <summary>Most descriptors one call takes (the pollfd array lives on the stack).</summary>
    public const int MaxDescriptors = 16;

    /// <summary>
    /// Waits until one of <paramref name="fds"/> is readable (or reports an error/hangup) or
    /// <paramref name="timeoutMs"/> passes (-1 = forever). Writes each descriptor's revents into
    /// <paramref name="revents"/> (0 when not ready) and returns how many are ready: 0 on timeout, on EINTR, and when
    /// the arguments are unusable (no descriptors, more than <see cref="MaxDescriptors"/>, or a short
    /// <paramref name="revents"/>). Allocates nothing, throws nothing.
    /// </summary>
    public static int WaitReadable(ReadOnlySpan<int> fds, Span<short> revents, int timeoutMs)
    {
        int n = fds.Length;
        if (n == 0 || n > MaxDescriptors || revents.Length < n) return 0;
        Libc.PollFd* p = stackalloc Libc.PollFd[n];
        for (int i = 0; i < n; i++) p[i] = new Libc.PollFd { Fd = fds[i], Events = Libc.POLLIN };
        int r = Libc.poll(p, (nuint)n, timeoutMs);
        for (int i = 0; i < n; i++) revents[i] = r > 0 ? p[i].Revents : (short)0;
        return r > 0 ? r : 0;
    }
}
