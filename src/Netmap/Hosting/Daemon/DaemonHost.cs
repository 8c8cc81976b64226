namespace Netmap.Hosting.Daemon;

/// <summary>The netmapd host: each port gets its own connection to the daemon.</summary>
internal sealed class DaemonHost(string? socketPath) : NetmapHost
{
    internal override IControlChannel OpenChannel() => DaemonLocator.Connect(socketPath);
}
