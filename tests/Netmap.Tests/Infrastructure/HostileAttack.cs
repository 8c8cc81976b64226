namespace Netmap.Tests.Infrastructure;

/// <summary>What <see cref="HostileMapper"/> writes into a field before it puts the value back.</summary>
public enum HostileAttack
{
    /// <summary>value + 2^30: out of every ring.</summary>
    OutOfRange,
    /// <summary>value XOR random bits: anything, often a plausible index.</summary>
    Random,
}
