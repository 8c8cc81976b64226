using System.Runtime.CompilerServices;
using System.Threading.Tasks.Sources;

namespace Netmap.Api;

/// <summary>
/// <see cref="NetmapPort.ReceiveAsync"/>: each step lends the received slots of one RX ring (round robin) as a
/// <see cref="ReceivedBatch"/>, and takes them back at the next step (head and cur move past them; the next sync
/// returns them to the sender). With nothing to lend it awaits <see cref="NetmapPort.WaitAsync"/> for In, which syncs.
/// Ends when the other end of the pipe (or a monitor's port) is gone and every frame it sent was lent; throws
/// <see cref="NetmapException"/> when netmapd is gone and the port cannot work without it. Steps allocate nothing
/// in steady state (this object is the source of every step's ValueTask, the port's waiter is reused). One consumer.
/// </summary>
internal sealed class PortReceiver : IAsyncEnumerable<ReceivedBatch>, IAsyncEnumerator<ReceivedBatch>, IValueTaskSource<bool>
{
    private readonly NetmapPort _port;
    private readonly Action _onWaited;
    /// <summary>The step in progress; completed from <see cref="OnWaited"/>, which already runs on the thread pool.</summary>
    private ManualResetValueTaskSourceCore<bool> _core; // mutable struct: never copy, never readonly
    private ConfiguredValueTaskAwaitable<PollEvents>.ConfiguredValueTaskAwaiter _wait;
    private CancellationToken _token;
    private CancellationTokenSource? _linked;
    private int _started;
    private int _nextRing;
    /// <summary>The batch lent now: its ring and the slot after its last (null: none).</summary>
    private NetmapRing? _lentRing;
    private uint _lentEnd;
    /// <summary>Bumped whenever a batch is taken back: a batch whose lease differs is stale.</summary>
    private int _lease;
    private bool _ended;

    public PortReceiver(NetmapPort port, CancellationToken token)
    {
        _port = port;
        _token = token;
        _onWaited = OnWaited;
    }

    public ReceivedBatch Current { get; private set; }

    public IAsyncEnumerator<ReceivedBatch> GetAsyncEnumerator(CancellationToken cancellationToken = default)
    {
        var e = Interlocked.Exchange(ref _started, 1) == 0 ? this : new PortReceiver(_port, _token) { _started = 1 };
        if (cancellationToken.CanBeCanceled)
        {
            if (e._token.CanBeCanceled)
            {
                e._linked = CancellationTokenSource.CreateLinkedTokenSource(e._token, cancellationToken);
                e._token = e._linked.Token;
            }
            else e._token = cancellationToken;
        }
        return e;
    }

    /// <summary>Takes the last batch back, then lends the next: at once when the rings hold frames (or a wait
    /// completes synchronously), else when <see cref="NetmapPort.WaitAsync"/> completes (this object is the ValueTask's
    /// source, so a step allocates nothing).</summary>
    public ValueTask<bool> MoveNextAsync()
    {
        GiveBack();
        if (_ended) return new ValueTask<bool>(false);
        bool result;
        try
        {
            if (Step(out result)) return new ValueTask<bool>(result);
        }
        catch (Exception e)
        {
            return ValueTask.FromException<bool>(e);
        }
        _core.Reset();
        _wait.UnsafeOnCompleted(_onWaited);
        return new ValueTask<bool>(this, _core.Version);
    }

    /// <summary>Runs until the step's result is known (true, <paramref name="result"/>) or a wait is pending (false,
    /// in <see cref="_wait"/>).</summary>
    private bool Step(out bool result)
    {
        while (true)
        {
            if (Take()) { result = true; return true; }
            var wait = _port.WaitAsync(PollEvents.In, _token).ConfigureAwait(false).GetAwaiter();
            if (!wait.IsCompleted)
            {
                _wait = wait;
                result = false;
                return false;
            }
            if (Waited(wait.GetResult(), out result)) return true;
        }
    }

    /// <summary>After a wait: a batch, the end (the peer is gone and the rings were drained after it went: HangUp is
    /// read before the syncs), or (false) wait again.</summary>
    private bool Waited(PollEvents ready, out bool result)
    {
        result = true;
        if (Take()) return true;
        if ((ready & PollEvents.HangUp) != 0)
        {
            _ended = true;
            result = false;
            return true;
        }
        if ((ready & PollEvents.Error) != 0) _port.ThrowIfDaemonLossIsFatal();
        return false;
    }

    /// <summary>The pending wait completed (on the thread pool): finish the step, or wait again.</summary>
    private void OnWaited()
    {
        bool result;
        try
        {
            var wait = _wait;
            _wait = default;
            if (!Waited(wait.GetResult(), out result) && !Step(out result))
            {
                _wait.UnsafeOnCompleted(_onWaited);
                return;
            }
        }
        catch (Exception e)
        {
            _core.SetException(e);
            return;
        }
        _core.SetResult(result);
    }

    bool IValueTaskSource<bool>.GetResult(short token) => _core.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource<bool>.GetStatus(short token) => _core.GetStatus(token);

    void IValueTaskSource<bool>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags)
        => _core.OnCompleted(continuation, state, token, flags);

    private bool Take()
    {
        if (!_port.TakeBatch(ref _nextRing, out var ring, out uint head, out int count)) return false;
        _lentRing = ring;
        _lentEnd = head + (uint)count >= ring.NumSlots ? head + (uint)count - ring.NumSlots : head + (uint)count;
        Current = new ReceivedBatch(this, ring, head, count, _lease);
        return true;
    }

    private void GiveBack()
    {
        if (_lentRing is not { } ring) return;
        _lease++;
        _lentRing = null;
        Current = default;
        _port.ReleaseBatch(ring, _lentEnd);
    }

    /// <summary>Throws unless <paramref name="lease"/> is the batch lent now (and the port is open).</summary>
    public void CheckLease(int lease)
    {
        if (lease != _lease || _lentRing is null)
            throw new InvalidOperationException($"{_port.Spec.Spec}: the batch was given back (a ReceivedBatch is valid until the next iteration)");
        _port.ThrowIfClosed();
    }

    /// <summary>Gives the last batch back and hands its slots to the sender at once (one RxSync).</summary>
    public ValueTask DisposeAsync()
    {
        bool lent = _lentRing is not null;
        GiveBack();
        if (lent) _port.TrySync();
        _linked?.Dispose();
        _linked = null;
        return ValueTask.CompletedTask;
    }
}
