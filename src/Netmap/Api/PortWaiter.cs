using System.Threading.Tasks.Sources;
using Netmap.Interop;

namespace Netmap.Api;

/// <summary>
/// The pending half of <see cref="NetmapPort.WaitAsync"/> and <see cref="NetmapPort.WaitForPeerAsync"/>: one per port,
/// made on its first pending wait and reused by every later one, so a wait allocates nothing in steady state (the
/// <see cref="ValueTask"/> the port returns is backed by this object and its version).
/// <para>Design: the port's descriptors (its kick line, the daemon connection while netmapd is there, the kernel queues
/// of a Linux interface) sit in an epoll set of this waiter's own, and that set's descriptor sits, EPOLLONESHOT, in the
/// <see cref="WaitLoop"/>'s. A wait arms it once; when it fires, the loop thread checks the port (drains the kick line,
/// syncs, reads the peer state) and either completes the wait or re-arms netmap's protocol (NeedKick, full fence,
/// re-check) and the descriptor. The result is delivered by queueing this object to the thread pool
/// (<see cref="IThreadPoolWorkItem"/>), which then runs the continuation: never on the loop thread, never inside a
/// cancellation callback or Dispose, and with no allocation whatever the continuation is (an async method's state
/// machine or a plain delegate).</para>
/// <para>States: Idle → Armed (a wait is pending) → Checking (the loop thread owns it) → Armed or Done (the result is
/// decided by whoever moved it there: the loop, the cancellation callback, Dispose; it is set once the work item
/// runs) → Idle (the awaiter took it). Cancellation and Dispose that find it Checking leave a flag the loop thread
/// reads after it has put the wait back to Armed (with a full fence in between), so neither can be lost.</para>
/// </summary>
internal sealed class PortWaiter : IValueTaskSource<PollEvents>, IValueTaskSource, IThreadPoolWorkItem
{
    private const int Idle = 0, Armed = 1, Checking = 2, Done = 3;
    private const int NoAbort = 0, AbortCancel = 1, AbortDispose = 2;
    private const ulong KickTag = 0, HangupTag = 1, QueueTag = 2;

    private readonly NetmapPort _port;
    private readonly EpollSet _set;
    private readonly int[] _queueFds;
    private ManualResetValueTaskSourceCore<PollEvents> _core; // mutable struct: never copy, never readonly
    private int _state;
    private int _abort;
    private PollEvents _events;
    private bool _peerMode;
    private CancellationToken _token;
    private CancellationTokenRegistration _registration;
    private uint _queueInterest;
    private int _hangupFd;
    /// <summary>The decided result, set by the work item (IThreadPoolWorkItem.Execute).</summary>
    private PollEvents _result;
    private Exception? _error;

    private PortWaiter(NetmapPort port, EpollSet set, int hangupFd, int[] queueFds)
    {
        _port = port;
        _set = set;
        _hangupFd = hangupFd;
        _queueFds = queueFds;
        _core.RunContinuationsAsynchronously = false; // Execute already runs on the pool
    }

    /// <summary>Waits that had to sleep (diagnostics and tests).</summary>
    public long PendingWaits { get; private set; }

    /// <summary>The tag of this waiter's descriptor in the loop's set (slot and generation).</summary>
    public ulong Tag { get; private set; }

    /// <summary>A waiter over <paramref name="kickFd"/>, <paramref name="hangupFd"/> (-1: none) and the kernel queues.</summary>
    public static PortWaiter Create(NetmapPort port, int kickFd, int hangupFd, int[] queueFds, string owner)
    {
        var set = EpollSet.Create(owner);
        try
        {
            Check(set.Watch(kickFd, EpollEvent.In, KickTag), owner);
            if (hangupFd >= 0) Check(set.Watch(hangupFd, EpollEvent.ReadHangup, HangupTag), owner);
            for (int i = 0; i < queueFds.Length; i++) Check(set.Watch(queueFds[i], 0, QueueTag + (ulong)i), owner);
            var waiter = new PortWaiter(port, set, hangupFd, queueFds);
            waiter.Tag = WaitLoop.Add(waiter, set.Fd, owner);
            return waiter;
        }
        catch
        {
            set.Dispose();
            throw;
        }
    }

    private static void Check(int err, string owner)
    {
        if (err != 0) throw new NetmapException((Errno)err, $"{owner}: epoll_ctl (wait set): {SystemError.Name(err)}");
    }

    /// <summary>
    /// Starts a pending wait for <paramref name="events"/> (or, with <paramref name="peerMode"/>, for a peer end to
    /// attach). The caller holds the port's gate and has already armed NeedKick, fenced and re-checked: nothing was ready.
    /// Returns the token of the ValueTask to hand out over this source.
    /// </summary>
    public short Begin(PollEvents events, bool peerMode, CancellationToken token)
    {
        int state = Volatile.Read(ref _state);
        if (state == Done && _core.GetStatus(_core.Version) != ValueTaskSourceStatus.Pending)
        {
            // The previous result was never taken (its ValueTask was dropped): that wait is over, start afresh.
            _registration.Dispose();
            state = Idle;
        }
        if (state != Idle)
            throw new InvalidOperationException($"{_port.Spec.Spec}: a WaitAsync is already pending on this port (one waiter at a time)");
        _core.Reset();
        PendingWaits++;
        _events = events;
        _peerMode = peerMode;
        _token = token;
        Volatile.Write(ref _abort, NoAbort);
        SetQueueInterest(peerMode ? PollEvents.None : events);
        Volatile.Write(ref _state, Armed);
        // Registered after Armed: a token cancelled meanwhile runs the callback here, which completes the wait.
        _registration = token.CanBeCanceled ? token.UnsafeRegister(static (s, t) => ((PortWaiter)s!).Abort(AbortCancel, t), this) : default;
        int err = WaitLoop.Arm(_set.Fd, Tag);
        if (err != 0 && Interlocked.CompareExchange(ref _state, Done, Armed) == Armed)
            Finish(PollEvents.None, new NetmapException((Errno)err, $"{_port.Spec.Spec}: epoll_ctl (wait loop): {SystemError.Name(err)}"));
        return _core.Version;
    }

    /// <summary>The kernel queues wake us for what is waited for: In → readable, Out → writable (TX room of an
    /// interface comes back with its completions).</summary>
    private void SetQueueInterest(PollEvents events)
    {
        if (_queueFds.Length == 0) return;
        uint want = ((events & PollEvents.In) != 0 ? EpollEvent.In : 0) | ((events & PollEvents.Out) != 0 ? EpollEvent.Out : 0);
        if (want == _queueInterest) return;
        for (int i = 0; i < _queueFds.Length; i++) _set.Rearm(_queueFds[i], want, QueueTag + (ulong)i);
        _queueInterest = want;
    }

    /// <summary>Cancellation (with the token that fired) or Dispose: completes an armed wait now, or leaves the flag
    /// for the loop thread that is checking it.</summary>
    private void Abort(int why, CancellationToken token)
    {
        if (why == AbortCancel && token != _token) return; // a late callback of an earlier wait
        Interlocked.Exchange(ref _abort, why);
        if (Interlocked.CompareExchange(ref _state, Done, Armed) == Armed) Finish(PollEvents.None, AbortException(why));
    }

    /// <summary>Completes a pending wait with ObjectDisposedException (Dispose calls it before and after waiting for
    /// the calls in progress, so a wait being set up meanwhile is caught too).</summary>
    public void AbortDisposed() => Abort(AbortDispose, default);

    private Exception AbortException(int why) => why == AbortCancel
        ? new OperationCanceledException(_token)
        : new ObjectDisposedException(_port.Spec.Spec, "the port was disposed while a wait was pending");

    /// <summary>Loop thread: the port's set became readable.</summary>
    public void OnReadable()
    {
        if (Interlocked.CompareExchange(ref _state, Checking, Armed) != Armed) return; // completed meanwhile: stale event
        if (!_port.TryEnter())
        {
            Volatile.Write(ref _state, Done);
            Finish(PollEvents.None, AbortException(AbortDispose));
            return;
        }
        try
        {
            bool kick = false, hangup = false;
            Span<EpollEvent> fired = stackalloc EpollEvent[16];
            int n = _set.WaitEvents(fired, 0);
            for (int i = 0; i < n; i++)
            {
                if (fired[i].Data == KickTag) kick = true;
                else if (fired[i].Data == HangupTag) hangup = true;
            }
            var ready = _port.CheckPendingWait(_events, _peerMode, kick, hangup, out bool stopWatchingHangup);
            if (stopWatchingHangup && _hangupFd >= 0)
            {
                _set.Unwatch(_hangupFd);
                _hangupFd = -1;
            }
            if (ready != PollEvents.None)
            {
                Volatile.Write(ref _state, Done);
                if (_peerMode && (ready & PollEvents.Error) != 0) Finish(PollEvents.None, _port.PeerWaitImpossible());
                else Finish(ready, null);
                return;
            }
            Interlocked.Exchange(ref _state, Armed); // full fence: pairs with the one in Abort
            int why = Volatile.Read(ref _abort);
            if (why != NoAbort)
            {
                if (Interlocked.CompareExchange(ref _state, Done, Armed) == Armed) Finish(PollEvents.None, AbortException(why));
                return;
            }
            int err = WaitLoop.Arm(_set.Fd, Tag);
            if (err != 0 && Interlocked.CompareExchange(ref _state, Done, Armed) == Armed)
                Finish(PollEvents.None, new NetmapException((Errno)err, $"{_port.Spec.Spec}: epoll_ctl (wait loop): {SystemError.Name(err)}"));
        }
        finally
        {
            _port.Exit();
        }
    }

    /// <summary>Loop thread: checking threw (a bug); the wait fails with it rather than hanging.</summary>
    public void Fail(Exception e)
    {
        if (Interlocked.CompareExchange(ref _state, Done, Checking) == Checking || Interlocked.CompareExchange(ref _state, Done, Armed) == Armed)
            Finish(PollEvents.None, e);
    }

    /// <summary>Hands the result to the thread pool, which sets it; the caller moved the state to Done.</summary>
    private void Finish(PollEvents result, Exception? error)
    {
        _result = result;
        _error = error;
        ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
    }

    /// <summary>Thread pool: sets the result, which runs the awaiter's continuation right here.</summary>
    void IThreadPoolWorkItem.Execute()
    {
        var error = _error;
        _error = null;
        if (error is null) _core.SetResult(_result);
        else _core.SetException(error);
    }

    /// <summary>Takes the waiter out of the loop and closes its set; Dispose calls it once no call is in progress.</summary>
    public void Detach()
    {
        WaitLoop.Remove(_set.Fd, Tag);
        _set.Dispose();
    }

    public PollEvents GetResult(short token)
    {
        if (_core.GetStatus(token) == ValueTaskSourceStatus.Pending)
            throw new InvalidOperationException($"{_port.Spec.Spec}: the wait has not completed (await the ValueTask instead of reading it)");
        try
        {
            return _core.GetResult(token);
        }
        finally
        {
            _registration.Dispose(); // waits for a callback still running: it can then never touch the next wait
            _registration = default;
            _token = default;
            Volatile.Write(ref _state, Idle);
        }
    }

    void IValueTaskSource.GetResult(short token) => GetResult(token);

    public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

    public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags)
        => _core.OnCompleted(continuation, state, token, flags);
}
