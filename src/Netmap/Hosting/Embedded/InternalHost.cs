using Netmap.Engine;

namespace Netmap.Hosting.Embedded;

/// <summary>The engine's own client on behalf of a requester: ports opened through it are looked up in the
/// requester's network namespace, checked against its uid, and may bind the VALE ports of attached interfaces.</summary>
internal sealed class InternalHost(NetmapEngine engine, string peer, int peerPid, uint peerUid) : NetmapHost
{
    internal override IControlChannel OpenChannel() => new EmbeddedChannel(engine, peer, peerPid, peerUid, isInternal: true);
}
