using Netmap.Engine;
using Netmap.Hosting.Daemon;

namespace Netmap.Bench.Vale;

/// <summary>Netmap's DaemonServer (what netmapd runs) on an engine of this process.</summary>
internal static class InProcessDaemon
{
    /// <summary>new DaemonServer(engine, socketPath): listening when it returns; dispose to stop.</summary>
    public static IDisposable Start(NetmapEngine engine, string socketPath) => new DaemonServer(engine, socketPath, verbose: false);
}
