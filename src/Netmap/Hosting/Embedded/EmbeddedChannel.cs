using Netmap.Abi;
using Netmap.Engine;

namespace Netmap.Hosting.Embedded;

/// <summary>A channel to an engine living in this process: requests are direct calls, the region is the engine's own mapping.</summary>
internal sealed class EmbeddedChannel : IControlChannel
{
    private readonly NetmapEngine _engine;
    private readonly EngineSession _session;

    public EmbeddedChannel(NetmapEngine engine)
    {
        _engine = engine;
        _session = engine.OpenSession("embedded");
    }

    public string Description => "embedded engine";

    public Errno Control(Span<byte> message, out ChannelRegistration? registration, out string? detail)
    {
        registration = null;
        _session.LastError = null;
        var err = _engine.Control(_session, message, out var result);
        detail = _session.LastError;
        if (err == Errno.None && result is not null)
            registration = new ChannelRegistration(result.Region.Mapping, result.Kick.Fd, result.PeerKick?.Fd ?? -1, result.Token, null, result.LocalAdapter);
        return err;
    }

    public void Dispose() => _session.Dispose();
}
