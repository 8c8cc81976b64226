using Netmap.Rings;

namespace Netmap.Adapters.Monitor;

/// <summary>
/// netmapd's wakeup relay for monitors. A monitor ring may be filled by a client process (pipe syncs, VALE rxsync),
/// which holds no descriptor of the monitor's kick line: that sync publishes hwtail and leaves the monitor's NeedKick
/// armed. This thread, while monitors exist, looks about every millisecond for a monitor ring that is armed and has
/// slots its client has not seen (hwtail != rtail) and writes the monitor's kick line for it (the waker's side of the
/// NeedKick protocol). Syncs that run in the engine's process wake monitors directly (<see cref="MonitorKicks"/>).
/// Cost: about 1000 short wakeups per second while at least one monitor is open; none otherwise.
/// </summary>
internal sealed class MonitorNotifier : IDisposable
{
    private readonly object _gate = new();
    private readonly Thread _thread;
    private readonly Action<string>? _log;
    private MonitorAdapter[] _monitors = [];
    private volatile bool _stop;

    public MonitorNotifier(Action<string>? log)
    {
        _log = log;
        _thread = new Thread(Run) { IsBackground = true, Name = "netmap monitor notifier" };
        _thread.Start();
    }

    public void Add(MonitorAdapter m)
    {
        lock (_gate)
        {
            _monitors = [.. _monitors, m];
            System.Threading.Monitor.Pulse(_gate);
        }
    }

    /// <summary>Stops watching <paramref name="m"/>; when this returns no pass is using it.</summary>
    public void Remove(MonitorAdapter m)
    {
        lock (_gate) _monitors = _monitors.Where(x => x != m).ToArray();
    }

    private void Run()
    {
        while (!_stop)
        {
            lock (_gate)
            {
                if (_monitors.Length == 0)
                {
                    System.Threading.Monitor.Wait(_gate, 1000);
                    continue;
                }
                try { Pass(); }
                catch (Exception e) { _log?.Invoke($"monitor notifier: {e}"); }
            }
            Thread.Sleep(1);
        }
    }

    private void Pass()
    {
        foreach (var m in _monitors)
        {
            bool wake = false;
            for (int i = m.BoundFirst; i < m.BoundLast; i++)
            {
                ref var ks = ref m.RxState(i);
                if (Volatile.Read(ref ks.NeedKick) == 0) continue;
                if (Volatile.Read(ref ks.HwTail) == Volatile.Read(ref ks.RTail) && Volatile.Read(ref ks.MonitorOrphaned) == 0) continue;
                if (Interlocked.Exchange(ref ks.NeedKick, 0) != 0) wake = true;
            }
            if (wake) m.Kick.Signal();
        }
    }

    public void Dispose()
    {
        _stop = true;
        lock (_gate) System.Threading.Monitor.Pulse(_gate);
        _thread.Join();
    }
}
