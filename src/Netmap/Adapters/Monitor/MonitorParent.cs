namespace Netmap.Adapters.Monitor;

/// <summary>The monitors of one port in netmap mode (engine lock): netmap's per-kring monitor arrays and zero-copy
/// lists, kept engine-side and projected into the krings' link tables by <see cref="MonitorSystem"/>.</summary>
internal sealed class MonitorParent(NetmapAdapter port)
{
    public NetmapAdapter Port { get; } = port;
    /// <summary>The "#N" of the next monitor (netmap's monitor_id, per adapter).</summary>
    public int NextId { get; set; }
    /// <summary>Active monitors in activation order; the zero-copy ones form the chain in this order.</summary>
    public List<MonitorAdapter> Monitors { get; } = new();
}
