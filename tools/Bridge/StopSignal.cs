namespace Netmap.Tools.Bridge;

/// <summary>bridge.c's do_abort: set by SIGINT/SIGTERM (or a test), polled by the forwarding loop.</summary>
/// <remarks>A copy of pkt-gen's StopSignal (the tools do not reference each other).</remarks>
public sealed class StopSignal : IDisposable
{
    private volatile bool _stop;
    private readonly ManualResetEventSlim _event = new(false);

    /// <summary>True once <see cref="Set"/> was called.</summary>
    public bool IsSet => _stop;

    /// <summary>Asks the loop to end (it finishes its pass and prints the summary).</summary>
    public void Set()
    {
        _stop = true;
        _event.Set();
    }

    /// <summary>Sleeps up to <paramref name="milliseconds"/>; returns early (true) when stopped.</summary>
    public bool Sleep(int milliseconds) => milliseconds <= 0 ? _stop : _event.Wait(milliseconds) || _stop;

    public void Dispose() => _event.Dispose();
}
