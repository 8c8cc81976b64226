namespace Netmap.Adapters.Monitor;

/// <summary>A monitor RX ring a link resolved to, with bounds checked against the region (see
/// <see cref="MonitorGeometry.TryResolve"/>): its kring record and its slots.</summary>
internal readonly record struct MonitorTarget(uint Index, long StateOffset, long SlotsOffset, uint NumSlots);
