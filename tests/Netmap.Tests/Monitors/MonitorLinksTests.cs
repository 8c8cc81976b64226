using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Netmap.Adapters.Monitor;
using Netmap.Rings;

namespace Netmap.Tests.Monitors;

/// <summary>The link table protocol on a plain <see cref="KringState"/>: every update leaves a table a lock-free reader
/// can use (holes, in-place chain replacement, trimming) and the engine's rewrite repairs a scribbled one.</summary>
public sealed class MonitorLinksTests
{
    private static uint C(uint ring) => MonitorLinks.Encode(MonitorLinkKind.Copy, ring);
    private static uint Z(uint ring) => MonitorLinks.Encode(MonitorLinkKind.ZeroCopy, ring);

    private static uint[] Table(ref KringState ks)
    {
        var t = new uint[MonitorLinks.Count(ref ks)];
        for (int i = 0; i < t.Length; i++) t[i] = MonitorLinks.Entry(ref ks, i);
        return t;
    }

    [Fact]
    public void Encoding_KeepsKindAndRing()
    {
        uint e = Z(1023);
        Assert.Equal(MonitorLinkKind.ZeroCopy, MonitorLinks.KindOf(e));
        Assert.Equal(1023u, MonitorLinks.RingOf(e));
        Assert.Equal(MonitorLinkKind.None, MonitorLinks.KindOf(0));
    }

    [Fact]
    public void Removing_LeavesAHole_ThatTheNextAddFills_AndTrailingHolesAreTrimmed()
    {
        var ks = new KringState();
        MonitorLinks.Apply(ref ks, [C(5), C(6), C(7)]);
        Assert.Equal([C(5), C(6), C(7)], Table(ref ks));
        MonitorLinks.Apply(ref ks, [C(5), C(7)]);
        Assert.Equal([C(5), 0u, C(7)], Table(ref ks));      // no entry moved: a reader never sees one twice or misses one
        MonitorLinks.Apply(ref ks, [C(5), C(7), C(8)]);
        Assert.Equal([C(5), C(8), C(7)], Table(ref ks));
        MonitorLinks.Apply(ref ks, [C(5)]);
        Assert.Equal([C(5)], Table(ref ks));
        MonitorLinks.Apply(ref ks, []);
        Assert.Equal(0u, ks.MonitorCount);                  // the hooks' one test is false again
    }

    [Fact]
    public void ANewChainHead_ReplacesTheOldOneInPlace()
    {
        var ks = new KringState();
        MonitorLinks.Apply(ref ks, [C(5), Z(9)]);
        MonitorLinks.Apply(ref ks, [C(5), Z(11)]);
        Assert.Equal([C(5), Z(11)], Table(ref ks));
    }

    [Fact]
    public void AScribbledTable_IsRewrittenWhole()
    {
        var ks = new KringState { MonitorCount = 1000 };
        for (int i = 0; i < KringState.MaxMonitorLinks; i++) MonitorLinks.Entry(ref ks, i) = 0xDEAD_0000u + (uint)i;
        MonitorLinks.Entry(ref ks, 3) = C(5);
        MonitorLinks.Entry(ref ks, 4) = C(5);               // a duplicate would copy twice
        Assert.Equal(KringState.MaxMonitorLinks, MonitorLinks.Count(ref ks)); // readers bound the count
        MonitorLinks.Apply(ref ks, [C(5), Z(6)]);
        // Entries stay where they are (C(5) at 3, Z(6) in the first hole), the rest emptied, the tail trimmed.
        Assert.Equal([Z(6), 0u, 0u, C(5)], Table(ref ks));
        for (int i = 4; i < KringState.MaxMonitorLinks; i++) Assert.Equal(0u, MonitorLinks.Entry(ref ks, i));
    }

    [Fact]
    public void Clear_EmptiesEverything()
    {
        var ks = new KringState();
        MonitorLinks.Apply(ref ks, [C(1), C(2), Z(3)]);
        MonitorLinks.Clear(ref ks);
        Assert.Equal(0u, ks.MonitorCount);
        Assert.Equal(0u, MonitorLinks.Entry(ref ks, 0));
    }

    [Fact]
    public void MonitorFields_UseOnlyTheFreeSpaceOfTheKringRecord()
    {
        Assert.Equal(KringState.Size, Unsafe.SizeOf<KringState>());
        int Off(string f) => (int)Marshal.OffsetOf<KringState>(f);
        Assert.Equal(48, Off(nameof(KringState.MonitorOrphaned)));   // line 0, after Reinits
        Assert.Equal(64, Off(nameof(KringState.HwTail)));            // line 1 unchanged...
        Assert.Equal(68, Off(nameof(KringState.MonitorLock)));       // ...then the monitor fields
        Assert.Equal(72, Off(nameof(KringState.MonitorCount)));
        Assert.Equal(80, Off(nameof(KringState.MonitorDrops)));
        Assert.Equal(88, Off(nameof(KringState.MonitorLink0)));
        Assert.Equal(128, 88 + 4 * KringState.MaxMonitorLinks);      // the table ends where line 2 starts
        Assert.Equal(128, Off(nameof(KringState.NeedKick)));
        Assert.Equal(192, Off(nameof(KringState.Slots)));
    }
}
