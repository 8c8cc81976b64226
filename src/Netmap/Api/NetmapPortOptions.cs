namespace Netmap.Api;

/// <summary>Open-time choices that the port name cannot express.</summary>
public sealed record NetmapPortOptions
{
    /// <summary>nr_extra_bufs: extra buffers wanted (the count obtained is <see cref="NetmapPort.ExtraBuffers"/>).</summary>
    public uint ExtraBuffers { get; init; }

    /// <summary>How long <see cref="NetmapPort.Poll"/> spins re-syncing before it sleeps on the eventfd.
    /// A cross-core wakeup costs ~25 µs on a small VM, so a short spin saves most of them.</summary>
    public TimeSpan Spin { get; init; } = TimeSpan.FromMicroseconds(50);
}
