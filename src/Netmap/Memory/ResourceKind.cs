namespace Netmap.Memory;

/// <summary>What a shared engine spends on behalf of its clients, and limits per user and in all
/// (<see cref="ResourceQuota"/>).</summary>
internal enum ResourceKind
{
    /// <summary>Bytes of shared memory: the file size of every region (a client can touch every page it maps).</summary>
    Memory,
    /// <summary>Memory regions (private allocators: one memfd and one mapping each).</summary>
    Regions,
    /// <summary>Ports: VALE ports (persistent ones included, counted against their creator), monitors, null ports,
    /// Linux interfaces in netmap mode.</summary>
    Ports,
    /// <summary>Pipes (both ends together).</summary>
    Pipes,
    /// <summary>Extra buffers held by registrations (nr_extra_bufs granted).</summary>
    ExtraBuffers,
    /// <summary>Descriptors the engine holds for the objects: two per kick line, one per region memfd, the kernel
    /// objects of an interface.</summary>
    Descriptors,
}
