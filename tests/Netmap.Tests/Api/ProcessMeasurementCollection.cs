namespace Netmap.Tests.Api;

/// <summary>
/// Tests that measure the whole process (its thread count, the bytes every thread allocates): their collection runs
/// alone, after the parallel ones, so other tests' threads and allocations do not count.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ProcessMeasurementCollection
{
    public const string Name = "Process-wide measurements (runs alone)";
}
