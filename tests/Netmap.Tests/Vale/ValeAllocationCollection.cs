namespace Netmap.Tests.Vale;

/// <summary>
/// <see cref="ValeAllocationTests"/> measures allocations of every thread of the process (the netmapd worker is
/// not the test's thread): its collection runs alone, after the parallel ones.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ValeAllocationCollection
{
    public const string Name = "VALE allocation (runs alone)";
}
