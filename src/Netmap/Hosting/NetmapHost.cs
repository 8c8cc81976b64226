using Netmap.Engine;
using Netmap.Hosting.Daemon;
using Netmap.Hosting.Embedded;
using Netmap.Hosting;

namespace Netmap;

/// <summary>
/// Where the engine runs: in this process (<see cref="Embedded"/>) or in netmapd (<see cref="Daemon"/>, the
/// default, started on demand). The port API is the same for both.
/// </summary>
public abstract class NetmapHost
{
    /// <summary>netmapd at <see cref="DaemonLocator.SocketPath"/>, started if none is running (unless NETMAP_NO_AUTOSTART=1).</summary>
    public static NetmapHost Default => new DaemonHost(null);

    /// <summary>netmapd listening on <paramref name="socketPath"/>.</summary>
    public static NetmapHost Daemon(string socketPath) => new DaemonHost(socketPath);

    /// <summary>An engine in this process; ports of other processes cannot reach it.</summary>
    public static NetmapHost Embedded(NetmapEngine engine) => new EmbeddedHost(engine);

    internal abstract IControlChannel OpenChannel();
}
