using Netmap.Rings;

namespace Netmap.Tests.Rings;

/// <summary>
/// nm_txsync_prologue / nm_rxsync_prologue (spec 3) on a 100-slot ring, with kernel indices chosen so that
/// they also catch checks that only work for powers of two.
/// </summary>
public class SyncPrologueTests
{
    private const uint N = 100;

    /// <summary>TX: head in [rhead, rtail], cur in [head, rtail], circularly.</summary>
    public static TheoryData<uint, uint, uint, uint, bool> TxCases => new()
    {
        // rhead, rtail, head, cur, accepted
        { 37, 90, 37, 37, true },
        { 37, 90, 90, 90, true },
        { 37, 90, 50, 80, true },
        { 37, 90, 50, 50, true },
        { 37, 90, 37, 90, true },
        { 10, 99, 10, 10, true },   // 10 | 99 = 107: an OR of the indices is not a range check
        { 50, 77, 60, 77, true },
        { 0, 99, 0, 0, true },
        { 0, 99, 99, 99, true },
        { 90, 37, 95, 5, true },    // wrapped
        { 90, 37, 0, 37, true },
        { 90, 37, 37, 37, true },
        { 90, 37, 90, 99, true },
        { 90, 37, 99, 0, true },
        { 37, 90, 36, 36, false },  // head before rhead (would move backwards)
        { 37, 90, 91, 91, false },  // head past rtail
        { 37, 90, 50, 40, false },  // cur before head
        { 37, 90, 50, 91, false },  // cur past rtail
        { 37, 90, 100, 100, false },// head >= n
        { 37, 90, 50, 100, false }, // cur >= n
        { 37, 90, uint.MaxValue, 50, false },
        { 90, 37, 50, 50, false },  // wrapped: head outside [90, 37]
        { 90, 37, 89, 89, false },
        { 90, 37, 38, 38, false },
        { 90, 37, 95, 93, false },  // wrapped: cur behind head
        { 90, 37, 5, 40, false },
    };

    private static SyncSnapshot Snap(uint n, uint head, uint cur, uint hwcur, uint hwtail, uint rhead, uint rcur, uint rtail)
        => new() { NumSlots = n, Head = head, Cur = cur, HwCur = hwcur, HwTail = hwtail, RHead = rhead, RCur = rcur, RTail = rtail };

    [Theory]
    [MemberData(nameof(TxCases))]
    public void Tx_AcceptsHeadInRheadRtail_AndCurInHeadRtail(uint rhead, uint rtail, uint head, uint cur, bool accepted)
    {
        var s = Snap(N, head, cur, rhead, rtail, rhead, rhead, rtail);
        Assert.Equal(accepted, SyncPrologue.Tx(in s));
    }

    [Theory]
    [InlineData(100u, 37u, 90u, 90u)] // hwcur
    [InlineData(37u, 100u, 90u, 90u)] // rhead
    [InlineData(37u, 37u, 100u, 90u)] // rtail
    [InlineData(37u, 37u, 90u, 100u)] // hwtail
    [InlineData(uint.MaxValue, 37u, 90u, 90u)]
    public void Tx_RejectsAnyKernelIndexOutsideTheRing(uint hwcur, uint rhead, uint rtail, uint hwtail)
    {
        var s = Snap(N, 40, 40, hwcur, hwtail, rhead, 37, rtail);
        Assert.False(SyncPrologue.Tx(in s));
    }

    /// <summary>RX: head in [hwcur, rtail], cur in [head, rtail].</summary>
    public static TheoryData<uint, uint, uint, uint, bool> RxCases => new()
    {
        // hwcur, rtail, head, cur, accepted
        { 37, 90, 37, 37, true },
        { 37, 90, 90, 90, true },
        { 37, 90, 60, 70, true },
        { 37, 90, 37, 90, true },
        { 50, 77, 77, 77, true },
        { 0, 0, 0, 0, true },       // empty ring
        { 90, 37, 99, 10, true },   // wrapped
        { 90, 37, 37, 37, true },
        { 90, 37, 90, 0, true },
        { 37, 90, 36, 40, false },  // head before hwcur
        { 37, 90, 91, 91, false },  // head past tail
        { 37, 90, 60, 59, false },  // cur before head
        { 37, 90, 60, 91, false },  // cur past tail
        { 37, 90, 100, 100, false },
        { 37, 90, 60, 100, false },
        { 0, 0, 1, 1, false },      // nothing received yet
        { 90, 37, 50, 50, false },
        { 90, 37, 10, 5, false },
    };

    [Theory]
    [MemberData(nameof(RxCases))]
    public void Rx_AcceptsHeadInHwcurTail_AndCurInHeadTail(uint hwcur, uint rtail, uint head, uint cur, bool accepted)
    {
        var s = Snap(N, head, cur, hwcur, rtail, hwcur, hwcur, rtail);
        Assert.Equal(accepted, SyncPrologue.Rx(in s));
    }

    [Theory]
    [InlineData(100u, 90u, 37u)]
    [InlineData(37u, 100u, 37u)]
    [InlineData(37u, 90u, 100u)]
    public void Rx_RejectsAnyKernelIndexOutsideTheRing(uint hwcur, uint rtail, uint rhead)
    {
        var s = Snap(N, 40, 40, hwcur, 90, rhead, 37, rtail);
        Assert.False(SyncPrologue.Rx(in s));
    }

    [Fact]
    public void Tx_AcceptsEveryLegalHeadOnEveryRingPosition_ForNonPowerOfTwoSizes()
    {
        foreach (uint n in new uint[] { 3, 100, 257, 1000 })
        {
            for (uint rhead = 0; rhead < n; rhead += n / 3 + 1)
            {
                uint rtail = RingMath.Prev(rhead, n); // the whole ring but one slot is the user's
                for (uint k = 0; k < n; k++)
                {
                    uint head = RingMath.Add(rhead, k, n);
                    var s = Snap(n, head, head, rhead, rtail, rhead, rhead, rtail);
                    Assert.True(SyncPrologue.Tx(in s), $"n={n} rhead={rhead} rtail={rtail} head={head}");
                }
            }
        }
    }
}
