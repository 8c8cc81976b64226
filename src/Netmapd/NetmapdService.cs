using System.Diagnostics;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Netmap.Engine;
using Netmap.Hosting.Daemon;

namespace Netmapd;

/// <summary>
/// The daemon's one hosted service: an engine and the socket serving it. Listening is done in StartAsync, so the
/// host (and systemd's READY=1) reports started only once clients can connect.
/// </summary>
internal sealed class NetmapdService(NetmapdOptions options, ILogger<NetmapdService> logger) : IHostedService, IDisposable
{
    private NetmapEngine? _engine;
    private DaemonServer? _server;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        var engine = new NetmapEngine();
        try
        {
            _server = new DaemonServer(engine, options.SocketPath, options.Group, Log, verbose: logger.IsEnabled(LogLevel.Debug));
        }
        catch
        {
            engine.Dispose();
            throw;
        }
        _engine = engine;
        logger.LogInformation("netmapd listening on {SocketPath}", _server.SocketPath);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        Dispose();
        return Task.CompletedTask;
    }

    public void Dispose()
    {
        var server = Interlocked.Exchange(ref _server, null);
        if (server is not null)
        {
            server.Dispose();
            logger.LogInformation("netmapd stopped; {SocketPath} removed", server.SocketPath);
        }
        Interlocked.Exchange(ref _engine, null)?.Dispose();
    }

    private void Log(TraceLevel level, string message)
    {
        switch (level)
        {
            case TraceLevel.Error: logger.LogError("{Message}", message); break;
            case TraceLevel.Warning: logger.LogWarning("{Message}", message); break;
            case TraceLevel.Info: logger.LogInformation("{Message}", message); break;
            default: logger.LogDebug("{Message}", message); break;
        }
    }
}
