using Netmap.Engine;

namespace Netmap.Hosting.Embedded;

/// <summary>The embedded host: each port gets a session on the in-process engine.</summary>
internal sealed class EmbeddedHost(NetmapEngine engine) : NetmapHost
{
    internal override IControlChannel OpenChannel() => new EmbeddedChannel(engine);
}
