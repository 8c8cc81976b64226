using Netmap.Rings;

namespace Netmap.Tests.Rings;

/// <summary>Index arithmetic on rings whose size is not a power of two (spec 3: 100 slots is legal).</summary>
public class RingMathTests
{
    private const uint N = 100;

    [Theory]
    [InlineData(0u, 1u)]
    [InlineData(63u, 64u)]
    [InlineData(98u, 99u)]
    [InlineData(99u, 0u)]
    public void Next_WrapsAtNumSlots(uint i, uint next) => Assert.Equal(next, RingMath.Next(i, N));

    [Theory]
    [InlineData(0u, 99u)]
    [InlineData(1u, 0u)]
    [InlineData(64u, 63u)]
    public void Prev_WrapsBelowZero(uint i, uint prev) => Assert.Equal(prev, RingMath.Prev(i, N));

    [Theory]
    [InlineData(95u, 10u, 5u)]
    [InlineData(0u, 100u, 0u)]
    [InlineData(50u, 49u, 99u)]
    [InlineData(50u, 50u, 0u)]
    [InlineData(99u, 1u, 0u)]
    public void Add_IsModuloNumSlots(uint i, uint k, uint sum) => Assert.Equal(sum, RingMath.Add(i, k, N));

    [Theory]
    [InlineData(95u, 5u, 10u)]
    [InlineData(5u, 95u, 90u)]
    [InlineData(7u, 7u, 0u)]
    [InlineData(0u, 99u, 99u)]
    [InlineData(99u, 0u, 1u)]
    public void Distance_CountsForwardAroundTheRing(uint from, uint to, uint d) => Assert.Equal(d, RingMath.Distance(from, to, N));

    [Theory]
    [InlineData(50u, 37u, 90u, true)]
    [InlineData(37u, 37u, 90u, true)]
    [InlineData(90u, 37u, 90u, true)]
    [InlineData(36u, 37u, 90u, false)]
    [InlineData(91u, 37u, 90u, false)]
    [InlineData(95u, 90u, 37u, true)]   // wrapped interval [90, 37]
    [InlineData(0u, 90u, 37u, true)]
    [InlineData(37u, 90u, 37u, true)]
    [InlineData(99u, 90u, 37u, true)]
    [InlineData(38u, 90u, 37u, false)]
    [InlineData(89u, 90u, 37u, false)]
    [InlineData(5u, 5u, 5u, true)]
    [InlineData(6u, 5u, 5u, false)]
    public void InClosedRange_HandlesWrappedIntervals(uint x, uint lo, uint hi, bool inside)
        => Assert.Equal(inside, RingMath.InClosedRange(x, lo, hi));

    [Fact]
    public void NextAddDistance_AgreeOnEveryIndexOfA100SlotRing()
    {
        for (uint i = 0; i < N; i++)
        {
            uint j = i;
            for (uint k = 0; k <= N; k++)
            {
                Assert.Equal(j, RingMath.Add(i, k, N));
                Assert.Equal(k % N, RingMath.Distance(i, j, N));
                j = RingMath.Next(j, N);
            }
            Assert.Equal(i, RingMath.Prev(RingMath.Next(i, N), N));
        }
    }
}
