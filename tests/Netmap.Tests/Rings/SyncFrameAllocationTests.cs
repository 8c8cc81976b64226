using Netmap.Abi;
using Netmap.Adapters;
using Netmap.Api;
using Netmap.Engine;
using Netmap.Rings;
using Netmap.Tests.Engine;
using Netmap.Tests.Pipes;
using Netmap.Tests.Vale;

namespace Netmap.Tests.Rings;

/// <summary>
/// The sync skeleton allocates nothing, whatever the core (the struct cores must neither box nor capture): 100,000
/// syncs per adapter kind after a warm-up, on the calling thread's allocation counter, on the normal path and on the
/// reinit path (a ring whose head was thrown out of range before every sync). The data paths with traffic are
/// covered per layer (Pipes/HotPathAllocationTests, Vale/ValeAllocationTests, Monitors/MonitorAllocationTests,
/// Nic/*: AF_XDP, AF_PACKET, TAP).
/// </summary>
public sealed class SyncFrameAllocationTests
{
    private const int Syncs = 100_000;

    private static long Measure(Action sync)
    {
        for (int i = 0; i < 1000; i++) sync();
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < Syncs; i++) sync();
        return GC.GetAllocatedBytesForCurrentThread() - before;
    }

    /// <summary>Both directions, then both again with head out of range (every sync reinitialises its ring).</summary>
    private static void AssertZero(NetmapPort tx, NetmapPort rx)
    {
        Assert.Equal(0, Measure(() => { tx.TxSync(); rx.RxSync(); }));
        var t = tx.TxKrings[0];
        var r = rx.RxKrings[0];
        Assert.Equal(0, Measure(() => { t.Ring.Head = 1u << 30; tx.TxSync(); r.Ring.Head = 1u << 30; rx.RxSync(); }));
        Assert.True(t.State.Reinits > Syncs && r.State.Reinits > Syncs);
    }

    [Fact]
    public void PipeSyncs_AllocateNothing()
    {
        using var p = new PipePair("sfa");
        AssertZero(p.Master, p.Slave);
    }

    [Fact]
    public void ValeSyncs_Embedded_AllocateNothing()
    {
        using var h = new ValeTestHost(false);
        using var a = NetmapPort.Open("vale0:sfa", h.Host);
        using var b = NetmapPort.Open("vale0:sfb", h.Host);
        Assert.NotNull(a.TxKrings[0].InCaller); // the forwarding core
        AssertZero(a, b);
    }

    [Fact]
    public void ValeSyncs_ThroughNetmapd_AllocateNothingInTheClient()
    {
        using var h = new ValeTestHost(true);
        using var a = NetmapPort.Open("vale1:sfa", h.Host);
        using var b = NetmapPort.Open("vale1:sfb", h.Host);
        Assert.Null(a.TxKrings[0].InCaller); // the publishing core; the worker forwards
        AssertZero(a, b);
    }

    [Fact]
    public void MonitorSyncs_AllocateNothing()
    {
        using var h = new ValeTestHost(false);
        using var m = NetmapPort.Open("netmap:sfm{1", h.Host);
        using var mon = NetmapPort.Open("netmap:sfm{1/t", h.Host);
        Assert.Equal(0, Measure(() => { mon.RxSync(); mon.TxSync(); }));
        var r = mon.RxKrings[0];
        Assert.Equal(0, Measure(() => { r.Ring.Head = 1u << 30; mon.RxSync(); }));
    }

    [Fact]
    public void NullSyncs_AllocateNothing()
    {
        using var engine = new NetmapEngine();
        using var pipe = new EngineClient(engine);
        Assert.Equal(Errno.None, pipe.Register("sfn{1"));
        using var c = new EngineClient(engine);
        Assert.Equal(Errno.None, c.Register("sfn", new NmReqRegister { Mode = RegisterMode.Null, MemId = pipe.Written.MemId, TxRings = 1, RxRings = 1 }));
        var layout = RegionLayout.Read(c.Memory, c.Registration!.Region.MemSize, "null");
        var tx = Kring.Open(c.Memory, layout, c.NifpOffset + c.RingOfs(0), "null");
        var rx = Kring.Open(c.Memory, layout, c.NifpOffset + c.RingOfs(2), "null");
        uint token = c.Registration.Token;
        Assert.Equal(0, Measure(() => { RingSync.TxSync(tx, token); RingSync.RxSync(rx, token); }));
        Assert.Equal(0, Measure(() => { tx.Ring.Head = 1u << 30; RingSync.TxSync(tx, token); rx.Ring.Head = 1u << 30; RingSync.RxSync(rx, token); }));
    }
}
