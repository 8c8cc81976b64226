using Netmap.Engine;
using Netmap.Hosting;
using Netmap.Hosting.Daemon;

namespace Netmap.Tests.Vale;

/// <summary>
/// An engine reached the two ways VALE supports: embedded (forwarding runs in the caller's txsync) or through an
/// in-process netmapd server on a private socket (forwarding runs on the engine's worker thread, clients only
/// publish). Tests take a <c>bool daemon</c> theory parameter and run against both.
/// </summary>
internal sealed class ValeTestHost : IDisposable
{
    private readonly DaemonServer? _server;
    private readonly string? _dir;

    public ValeTestHost(bool daemon)
    {
        Engine = new NetmapEngine();
        if (daemon)
        {
            _dir = Path.Combine("/tmp", $"vale-test-{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..8]}");
            string socket = Path.Combine(_dir, "netmapd.sock");
            _server = new DaemonServer(Engine, socket);
            Host = NetmapHost.Daemon(socket);
        }
        else Host = NetmapHost.Embedded(Engine);
    }

    public NetmapEngine Engine { get; }
    public NetmapHost Host { get; }
    public bool IsDaemon => _server is not null;

    public void Dispose()
    {
        _server?.Dispose();
        Engine.Dispose();
        if (_dir is not null) try { Directory.Delete(_dir, true); } catch (IOException) { }
    }
}
