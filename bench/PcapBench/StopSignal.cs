using System.Runtime.InteropServices;

namespace Netmap.Bench.Pcap;

/// <summary>Set by SIGINT/SIGTERM or when the run's time is up; the loops poll <see cref="IsSet"/>.</summary>
public sealed class StopSignal : IDisposable
{
    private readonly PosixSignalRegistration _int, _term;
    private readonly Timer _deadline;
    private volatile bool _set;

    public StopSignal(TimeSpan limit)
    {
        _int = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
        _term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
        _deadline = new Timer(_ => _set = true, null, limit, Timeout.InfiniteTimeSpan);
    }

    public bool IsSet => _set;

    private void OnSignal(PosixSignalContext ctx)
    {
        ctx.Cancel = true;   // a second signal does the same: the loops end at their next check
        _set = true;
    }

    public void Dispose()
    {
        _deadline.Dispose();
        _int.Dispose();
        _term.Dispose();
    }
}
