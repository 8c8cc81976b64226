using System.Runtime.CompilerServices;
using Netmap;
using Netmap.Adapters.Vale;

namespace Netmapd;

/// <summary>
/// What netmapd installs for a --vale-lookup plugin: the plugin's lookup, with a frame whose lookup throws dropped
/// instead of the exception reaching the forwarding thread. There it would abort the batch without moving the ring
/// on, so the worker would retry the same frame forever and stop forwarding every other port it serves. Failures are
/// counted and logged (the first, then at most one line per <see cref="LogInterval"/>). Costs a try block per frame.
/// </summary>
internal sealed class GuardedValeLookup(IValeLookup inner, string switchName, Action<string> log) : IValeLookup
{
    public static readonly TimeSpan LogInterval = TimeSpan.FromSeconds(10);

    private long _failures;
    private long _lastLog = long.MinValue;

    public IValeLookup Inner => inner;

    /// <summary>Frames dropped because the lookup threw.</summary>
    public long Failures => Volatile.Read(ref _failures);

    public byte Lookup(ReadOnlySpan<byte> frame, byte sourcePort, ref byte destinationRing)
    {
        try
        {
            return inner.Lookup(frame, sourcePort, ref destinationRing);
        }
        catch (Exception e)
        {
            return Failed(e, sourcePort);
        }
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private byte Failed(Exception e, byte sourcePort)
    {
        long n = Interlocked.Increment(ref _failures);
        long now = Environment.TickCount64, last = Volatile.Read(ref _lastLog);
        if ((last == long.MinValue || now - last >= (long)LogInterval.TotalMilliseconds) && Interlocked.CompareExchange(ref _lastLog, now, last) == last)
            log($"{switchName}: the lookup {inner.GetType().FullName} threw on a frame from port {sourcePort} (dropped; {n} so far): {e.GetType().Name}: {e.Message}");
        return ValeDestination.Drop;
    }
}
