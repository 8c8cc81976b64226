using Netmap.Interop;

namespace Netmap.Hosting.Daemon;

/// <summary>
/// netmapd's descriptor accounting: RLIMIT_NOFILE (read once; netmapd raises it to the hard limit at start) and the
/// descriptors open now (counted in /proc/self/fd). <see cref="Check"/> refuses once fewer than the reserve are free.
/// Thread-safe.
/// </summary>
internal sealed class DescriptorBudget : IDisposable
{
    private readonly object _lock = new();
    private int _counterFd;

    public DescriptorBudget(int reserve)
    {
        Reserve = reserve;
        Limit = DescriptorLimit.Get().Soft;
        _counterFd = DescriptorLimit.OpenCounter();
    }

    /// <summary>RLIMIT_NOFILE (soft).</summary>
    public int Limit { get; }
    public int Reserve { get; }

    /// <summary>Descriptors open in the process now (-1 if /proc is unreadable).</summary>
    public int InUse
    {
        get { lock (_lock) return _counterFd < 0 ? -1 : DescriptorLimit.CountOpen(_counterFd); }
    }

    /// <summary>Null when at least <see cref="Reserve"/> descriptors are free, else why not (one line naming the
    /// limit and the flag).</summary>
    public string? Check()
    {
        int used = InUse;
        if (used < 0 || (long)used + Reserve <= Limit) return null; // /proc unreadable: the allocation itself will say
        return $"netmapd: {used} of its {Limit} descriptors are in use (RLIMIT_NOFILE; {DaemonLimits.DescriptorReserveFlag} {Reserve} stay free)";
    }

    public void Dispose()
    {
        lock (_lock)
        {
            if (_counterFd >= 0) SeqPacketSocket.CloseFd(_counterFd);
            _counterFd = -1;
        }
    }
}
