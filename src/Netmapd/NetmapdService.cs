using System.Diagnostics;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Netmap;
using Netmap.Engine;
using Netmap.Hosting.Daemon;

namespace Netmapd;

/// <summary>
/// The daemon's one hosted service: an engine and the socket serving it. Listening is done in StartAsync, so the
/// host (and systemd's READY=1) reports started only once clients can connect. The engine's VALE forwarding threads
/// and custom lookups are set up before the server exists (the server's own default of one worker is then ignored).
/// </summary>
internal sealed class NetmapdService(NetmapdOptions options, IReadOnlyList<LoadedValeLookup> lookups, ILogger<NetmapdService> logger)
    : IHostedService, IDisposable
{
    private NetmapEngine? _engine;
    private DaemonServer? _server;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        var engine = new NetmapEngine();
        try
        {
            engine.UseValeWorkers(options.ValeWorkers, TimeSpan.FromMicroseconds(options.ValeSpinMicroseconds));
            engine.DefaultMode = options.DefaultMode;
            // RLIMIT_NOFILE is already raised to its hard limit (Program): the engine's descriptor budget is a share of it.
            engine.Limits = options.Limits.EngineLimits(GC.GetGCMemoryInfo().TotalAvailableMemoryBytes, Netmap.Interop.DescriptorLimit.Get().Soft);
            if (options.NoInterfaces) engine.InterfacePolicy = _ => false;
            else if (options.InterfaceUids is { } allowed)
            {
                uint self = Netmap.Interop.ProcessInfo.EffectiveUid;
                engine.InterfacePolicy = uid => uid == 0 || uid == self || allowed.Contains(uid);
            }
            foreach (var l in lookups)
            {
                engine.SetValeLookup(l.Spec.Switch, new GuardedValeLookup(l.Lookup, l.Spec.Switch, m => logger.LogError("{Message}", m)));
                logger.LogInformation("{Switch}: lookup {Type} from {Assembly}", l.Spec.Switch, l.Lookup.GetType().FullName, l.Spec.AssemblyPath);
            }
            _server = new DaemonServer(engine, options.SocketPath, options.Group, Log, verbose: logger.IsEnabled(LogLevel.Debug), options.Limits.ForServer());
        }
        catch
        {
            engine.Dispose();
            throw;
        }
        _engine = engine;
        logger.LogInformation("netmapd listening on {SocketPath} (VALE: {Workers} forwarding thread(s), spin {Spin} us)",
            _server.SocketPath, options.ValeWorkers, options.ValeSpinMicroseconds);
        var e = engine.Limits;
        logger.LogInformation("engine limits per user / in all: shared memory {MemUser} / {Mem}, regions {RegUser} / {Reg}, ports {PortsUser} / {Ports}, pipes {PipesUser} / {Pipes}, extra buffers {ExtraUser} / {Extra} ({ExtraReg} per registration), descriptors {FdsUser} / {Fds}; default mode {Mode}",
            Size(e.MaxMemoryPerUser), Size(e.MaxMemory), Count(e.MaxRegionsPerUser), Count(e.MaxRegions), Count(e.MaxPortsPerUser), Count(e.MaxPorts),
            Count(e.MaxPipesPerUser), Count(e.MaxPipes), Count(e.MaxExtraBuffersPerUser), Count(e.MaxExtraBuffers), Count(e.MaxExtraBuffersPerRegistration),
            Count(e.MaxDescriptorsPerUser), Count(e.MaxDescriptors), Netmap.Memory.ObjectAccess.FormatMode(engine.DefaultMode));
        var limits = _server.Limits;
        logger.LogInformation("limits: {Max} connections, {PerUser} per user; {Descriptors} descriptors (RLIMIT_NOFILE), {Reserve} kept free; {Threads} request threads",
            limits.MaxConnections, limits.MaxConnectionsPerUser, _server.DescriptorLimit, limits.DescriptorReserve, limits.RequestThreads);
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
        if (Interlocked.Exchange(ref _engine, null) is { } engine)
        {
            engine.Dispose();
            foreach (var l in lookups) (l.Lookup as IDisposable)?.Dispose(); // after the workers stopped
        }
    }

    private static string Size(long v) => v == long.MaxValue ? "none" : Netmap.Memory.ResourceQuota.Limit(v, bytes: true);
    private static string Count(long v) => v == long.MaxValue ? "none" : v.ToString(System.Globalization.CultureInfo.InvariantCulture);

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
