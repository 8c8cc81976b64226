namespace Netmap.Tools.PktGen;

/// <summary>The "cancel" flag of netmap's targ: set by SIGINT/SIGTERM (or a test), polled by the loops.</summary>
public sealed class StopSignal : IDisposable
{
    private volatile bool _stop;
    private readonly ManualResetEventSlim _event = new(false);

    /// <summary>True once <see cref="Set"/> was called.</summary>
    public bool IsSet => _stop;

    /// <summary>Asks every loop to end (they finish their batch and print the summary).</summary>
    public void Set()
    {
        _stop = true;
        _event.Set();
    }

    /// <summary>Sleeps up to <paramref name="milliseconds"/>; returns early (true) when stopped.</summary>
    public bool Sleep(int milliseconds) => milliseconds <= 0 ? _stop : _event.Wait(milliseconds) || _stop;

    public void Dispose() => _event.Dispose();
}
