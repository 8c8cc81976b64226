namespace Netmap.Interop;

/// <summary>
/// The wakeup line of a ring side: an AF_UNIX SOCK_DGRAM socket pair. Waiters poll <see cref="WaitFd"/> (readable once
/// kicked) and drain it; wakers send one byte on <see cref="SignalFd"/>. The two ends go to different parties (a port's
/// client gets the wait end of its own line and the signal end of its peer's), so a waker can never steal a wakeup.
/// </summary>
/// <remarks>
/// Why not an eventfd: the waker and the waiter would share one open file description, and a hostile holder could
/// clear O_NONBLOCK and saturate the counter, after which every write(2) blocks forever (a VALE worker, a pipe sender).
/// Here every send and receive passes MSG_DONTWAIT (per call, whatever a client does to the descriptor's flags) and
/// MSG_NOSIGNAL (a peer that shut its end down costs an EPIPE, never a SIGPIPE); a full queue (EAGAIN) means a
/// wakeup is already pending. Shutting down a datagram socket does not propagate to its peer, so a hostile end cannot
/// make the other end permanently readable either.
/// </remarks>
internal sealed unsafe class KickLine : IDisposable
{
    /// <summary>Datagrams one <see cref="Drain(int)"/> takes at most (a flooding signaller cannot keep a waiter in it).</summary>
    private const int MaxDrain = 256;

    private KickLine(int waitFd, int signalFd) { WaitFd = waitFd; SignalFd = signalFd; }

    /// <summary>The end a waiter polls for POLLIN and drains.</summary>
    public int WaitFd { get; private set; }

    /// <summary>The end wakers send on.</summary>
    public int SignalFd { get; private set; }

    public static KickLine Create(string owner)
    {
        int* sv = stackalloc int[2];
        if (Libc.socketpair(Libc.AF_UNIX, Libc.SOCK_DGRAM | Libc.SOCK_NONBLOCK | Libc.SOCK_CLOEXEC, 0, sv) != 0)
            throw SystemError.Last(owner, "socketpair (kick line)");
        return new KickLine(sv[0], sv[1]);
    }

    /// <summary>Wakes whoever waits on this line. Never blocks; errors are ignored (the waiter may be gone).</summary>
    public void Signal() => Signal(SignalFd);

    /// <summary>Sends one wakeup byte on <paramref name="signalFd"/>. Never blocks, never raises SIGPIPE.</summary>
    public static void Signal(int signalFd)
    {
        if (signalFd < 0) return;
        byte one = 1;
        Libc.send(signalFd, &one, 1, Libc.MSG_DONTWAIT | Libc.MSG_NOSIGNAL);
    }

    /// <summary>Takes the pending wakeups of this line; false when there were none.</summary>
    public bool Drain() => Drain(WaitFd);

    /// <summary>Takes the pending wakeups queued on <paramref name="waitFd"/> (at most <see cref="MaxDrain"/>);
    /// false when there were none.</summary>
    public static bool Drain(int waitFd)
    {
        byte* buf = stackalloc byte[16];
        int n = 0;
        while (n < MaxDrain && Libc.recv(waitFd, buf, 16, Libc.MSG_DONTWAIT) >= 0) n++;
        return n > 0;
    }

    public void Dispose()
    {
        if (WaitFd >= 0) { Libc.close(WaitFd); WaitFd = -1; }
        if (SignalFd >= 0) { Libc.close(SignalFd); SignalFd = -1; }
    }
}
