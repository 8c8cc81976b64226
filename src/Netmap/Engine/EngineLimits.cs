using Netmap.Memory;

namespace Netmap;

/// <summary>
/// What an engine may spend on its clients, per user (uid) and in all: shared memory, regions, ports, pipes, extra
/// buffers and the descriptors it holds for them. A request past a limit is refused with ENOMEM and a message
/// naming the limit and the netmapd flag that sets it, before anything is built; nothing else is affected. Extra
/// buffers are granted up to what the limits leave (netmap's "up to nr_extra_bufs", the count written back), and
/// never more than <see cref="MaxExtraBuffersPerRegistration"/> per registration (netmap clamps VALE requests to
/// 128 * 4096). An embedded engine is <see cref="Unlimited"/> but for that clamp; netmapd uses <see cref="ForDaemon"/>
/// unless told otherwise (netmapd --max-*).
/// </summary>
public sealed record EngineLimits
{
    /// <summary>netmap's bound on nr_extra_bufs for a VALE port (128 * NM_BDG_MAXSLOTS).</summary>
    public const long NetmapExtraBufferClamp = 128 * 4096;

    /// <summary>Bytes of shared memory (every region's memfd size; the global region counts in the total only).</summary>
    public long MaxMemory { get; init; } = long.MaxValue;
    /// <summary>Bytes of shared memory one uid's regions may take.</summary>
    public long MaxMemoryPerUser { get; init; } = long.MaxValue;
    /// <summary>Private memory regions.</summary>
    public long MaxRegions { get; init; } = long.MaxValue;
    /// <summary>Private memory regions of one uid.</summary>
    public long MaxRegionsPerUser { get; init; } = long.MaxValue;
    /// <summary>VALE ports (persistent ones included), monitors, null ports and interfaces in netmap mode.</summary>
    public long MaxPorts { get; init; } = long.MaxValue;
    /// <summary>Ports of one uid.</summary>
    public long MaxPortsPerUser { get; init; } = long.MaxValue;
    /// <summary>Pipes (a pipe is both its ends).</summary>
    public long MaxPipes { get; init; } = long.MaxValue;
    /// <summary>Pipes of one uid.</summary>
    public long MaxPipesPerUser { get; init; } = long.MaxValue;
    /// <summary>Extra buffers held by registrations.</summary>
    public long MaxExtraBuffers { get; init; } = long.MaxValue;
    /// <summary>Extra buffers one uid's registrations hold.</summary>
    public long MaxExtraBuffersPerUser { get; init; } = long.MaxValue;
    /// <summary>Extra buffers one registration gets at most (netmap's clamp by default, never more).</summary>
    public long MaxExtraBuffersPerRegistration { get; init; } = NetmapExtraBufferClamp;
    /// <summary>Descriptors the engine holds for its objects (two per kick line, one per region memfd, an interface's
    /// kernel objects).</summary>
    public long MaxDescriptors { get; init; } = long.MaxValue;
    /// <summary>Descriptors the engine holds for one uid's objects.</summary>
    public long MaxDescriptorsPerUser { get; init; } = long.MaxValue;

    /// <summary>No limit but netmap's clamp of extra buffers per registration.</summary>
    public static EngineLimits Unlimited { get; } = new();

    /// <summary>
    /// netmapd's defaults for a machine with <paramref name="physicalMemory"/> bytes of RAM and a descriptor limit of
    /// <paramref name="openFiles"/>: shared memory half the RAM in all and a quarter per user; 1024 regions, 4096 ports
    /// and 4096 pipes in all, 256 of each per user; 4 Mi extra buffers in all, 1 Mi per user, 128 * 4096 per
    /// registration; three quarters of the descriptor limit in all (the rest is for connections) and a quarter per user.
    /// </summary>
    public static EngineLimits ForDaemon(long physicalMemory, long openFiles)
    {
        long fds = Math.Max(256, openFiles);
        return new EngineLimits
        {
            MaxMemory = Math.Max(1L << 30, physicalMemory / 2 & ~((1L << 20) - 1)), // whole MiB
            MaxMemoryPerUser = Math.Max(512L << 20, physicalMemory / 4 & ~((1L << 20) - 1)),
            MaxRegions = 1024, MaxRegionsPerUser = 256,
            MaxPorts = 4096, MaxPortsPerUser = 256,
            MaxPipes = 4096, MaxPipesPerUser = 256,
            MaxExtraBuffers = 4L << 20, MaxExtraBuffersPerUser = 1L << 20,
            MaxDescriptors = fds * 3 / 4, MaxDescriptorsPerUser = fds / 4,
        };
    }

    internal void ApplyTo(ResourceQuota quota)
    {
        quota.SetLimit(ResourceKind.Memory, MaxMemoryPerUser, MaxMemory);
        quota.SetLimit(ResourceKind.Regions, MaxRegionsPerUser, MaxRegions);
        quota.SetLimit(ResourceKind.Ports, MaxPortsPerUser, MaxPorts);
        quota.SetLimit(ResourceKind.Pipes, MaxPipesPerUser, MaxPipes);
        quota.SetLimit(ResourceKind.ExtraBuffers, MaxExtraBuffersPerUser, MaxExtraBuffers);
        quota.SetLimit(ResourceKind.Descriptors, MaxDescriptorsPerUser, MaxDescriptors);
    }
}
