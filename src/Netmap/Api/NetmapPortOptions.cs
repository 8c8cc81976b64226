using Netmap.Api;
namespace Netmap;

/// <summary>Open-time choices that the port name cannot express.</summary>
public sealed record NetmapPortOptions
{
    /// <summary>nr_extra_bufs: extra buffers wanted (the count obtained is <see cref="NetmapPort.ExtraBuffers"/>).</summary>
    public uint ExtraBuffers { get; init; }

    /// <summary>How long <see cref="NetmapPort.Poll"/> spins re-syncing before it sleeps. Null (the default) means
    /// 50 µs for shared-memory ports (pipes, VALE: a cross-core wakeup costs ~25 µs on a small VM, so a short spin
    /// saves most of them) and no spin for Linux interfaces, whose frames come from the kernel anyway: there a spin
    /// only burns CPU between batches (the TPACKET_V3 block, the frames an XSK gathered while we slept).</summary>
    public TimeSpan? Spin { get; init; }

}
