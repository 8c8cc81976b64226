namespace Netmap.TestPeer;

/// <summary>
/// A vale-shell job running on its own thread (stream, drain) until <see cref="Stop"/>: the body polls the stop
/// flag and returns its summary line; an exception becomes the job's failure, reported by <see cref="Stop"/>.
/// </summary>
internal sealed class ValeBackgroundJob
{
    private readonly Thread _thread;
    private volatile bool _stop;
    private string? _result;
    private Exception? _error;

    public ValeBackgroundJob(string name, Func<Func<bool>, string> body)
    {
        _thread = new Thread(() =>
        {
            try { _result = body(() => _stop); }
            catch (Exception e) { _error = e; }
        }) { IsBackground = true, Name = name };
        _thread.Start();
    }

    /// <summary>True once the body returned or failed on its own.</summary>
    public bool HasEnded => !_thread.IsAlive;

    /// <summary>Asks the body to end and waits for it; returns its summary or throws its failure.</summary>
    public string Stop(TimeSpan timeout)
    {
        _stop = true;
        if (!_thread.Join(timeout)) throw new PeerFailure($"job {_thread.Name} did not stop within {timeout.TotalSeconds} s");
        if (_error is PeerFailure f) throw f;
        if (_error is not null) throw new PeerFailure($"job {_thread.Name}: {_error.GetType().Name}: {_error.Message}");
        return _result ?? "";
    }
}
