using System.Collections.Concurrent;

namespace Netmap.Hosting.Daemon;

/// <summary>
/// netmapd's request threads: a fixed number, started with the server, each taking scheduled connections from one
/// queue and serving them (the server's Serve). The count never depends on the number of connections.
/// </summary>
internal sealed class RequestThreads : IDisposable
{
    private readonly ConcurrentQueue<DaemonConnection> _queue = new();
    private readonly SemaphoreSlim _ready = new(0);
    private readonly Thread[] _threads;
    private readonly Action<DaemonConnection> _serve;
    private volatile bool _stopping;

    public RequestThreads(int count, Action<DaemonConnection> serve, string name)
    {
        _serve = serve;
        _threads = new Thread[count];
        for (int i = 0; i < count; i++)
        {
            _threads[i] = new Thread(Run) { IsBackground = true, Name = $"{name} {i}" };
            _threads[i].Start();
        }
    }

    public int Count => _threads.Length;

    /// <summary>Queues <paramref name="connection"/> (already moved to <see cref="DaemonConnection.Scheduled"/>).</summary>
    public void Post(DaemonConnection connection)
    {
        _queue.Enqueue(connection);
        _ready.Release();
    }

    private void Run()
    {
        while (true)
        {
            _ready.Wait();
            if (_queue.TryDequeue(out var c)) _serve(c);
            else if (_stopping) return;
        }
    }

    /// <summary>Lets the threads finish what is queued, then stops them (waits up to <paramref name="timeoutMs"/> each).
    /// Returns the names of threads still running.</summary>
    public List<string> Stop(int timeoutMs)
    {
        _stopping = true;
        _ready.Release(_threads.Length);
        var stuck = new List<string>();
        foreach (var t in _threads)
            if (t.ManagedThreadId != Environment.CurrentManagedThreadId && !t.Join(timeoutMs)) stuck.Add(t.Name ?? "?");
        return stuck;
    }

    public void Dispose() => Stop(5000);
}
