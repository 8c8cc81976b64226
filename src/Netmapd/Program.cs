using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using Netmapd;

// netmapd: serves the netmap engine to client processes over an AF_UNIX SOCK_SEQPACKET socket.
// First, before the runtime installs its handlers: SIGINT/SIGTERM inherited as ignored (netmapd & in a script) get
// their default back, so that the host's shutdown on SIGINT/SIGTERM works as in a terminal.
Netmap.Tools.StopSignal.ResetIgnoredSignals();
var options = NetmapdOptions.Parse(args, out var error);
if (options is null)
{
    Console.Error.WriteLine($"netmapd: {error}");
    Console.Error.WriteLine(NetmapdOptions.Usage);
    return 2;
}
if (options.Help)
{
    Console.WriteLine(NetmapdOptions.Usage);
    return 0;
}
if (options.Detach) return Detach.Run(options, args);

// Descriptors: as many as the hard limit allows (connections, regions and kernel queues are descriptors); the server
// keeps a reserve below it and refuses work before an allocation could fail.
try { Netmap.Interop.DescriptorLimit.RaiseToHard(); }
catch (Netmap.NetmapException e) { Console.Error.WriteLine($"netmapd: {e.Message} (continuing with the current limit)"); }

// Custom VALE lookups: loaded before the host, so that a bad plugin is a clean start failure (exit 1, one line).
var lookups = new List<LoadedValeLookup>();
foreach (var spec in options.ValeLookups)
{
    if (!ValeLookupLoader.TryLoad(spec, out var loaded, out var why))
    {
        foreach (var l in lookups) (l.Lookup as IDisposable)?.Dispose();
        Detach.ReportFailure(why);
        Console.Error.WriteLine($"netmapd: {why}");
        return 1;
    }
    lookups.Add(loaded!);
}

// No default configuration sources: netmapd reads only its command line (and NETMAP_SOCKET), and must not watch
// appsettings files in whatever directory it was started from.
var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true, Args = [] });
builder.Logging.ClearProviders();
builder.Logging.SetMinimumLevel(options.Verbose ? LogLevel.Debug : LogLevel.Information);
builder.Logging.AddFilter("Microsoft", options.Verbose ? LogLevel.Information : LogLevel.Warning);
// A start failure is reported once, below, without the host's stack trace (unless --verbose).
if (!options.Verbose) builder.Logging.AddFilter("Microsoft.Extensions.Hosting.Internal.Host", LogLevel.None);
builder.Logging.AddSimpleConsole(o =>
{
    o.SingleLine = true;
    o.TimestampFormat = "yyyy-MM-dd HH:mm:ss.fff ";
    o.UseUtcTimestamp = false;
    o.ColorBehavior = LoggerColorBehavior.Disabled;
});
// Everything to stderr: stdout stays free, and a supervisor capturing stderr sees the whole log.
builder.Services.Configure<ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
// Under systemd: journal-friendly log format and READY=1 / STOPPING=1 notifications (Type=notify).
builder.Services.AddSystemd();
builder.Services.AddSingleton(options);
builder.Services.AddSingleton<IReadOnlyList<LoadedValeLookup>>(lookups);
builder.Services.AddHostedService<NetmapdService>();
builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(10));

try
{
    using var host = builder.Build();
    host.Run();
    return 0;
}
catch (Exception e)
{
    // Typically: the socket is in use by another daemon, or its directory is not writable.
    string reason = e is Netmap.NetmapException or IOException or UnauthorizedAccessException ? e.Message : e.ToString();
    Detach.ReportFailure(reason);
    Console.Error.WriteLine($"netmapd: {reason}");
    return 1;
}
