using Netmap.Abi;
using Netmap.Adapters.Monitor;
using Netmap.Api;
using Netmap.Engine;
using Netmap.Hosting;
using Netmap.Rings;
using Netmap.Tests.Engine;
using static Netmap.Tests.Monitors.MonitorKit;

namespace Netmap.Tests.Monitors;

/// <summary>The engine's side of monitors: REGISTER write-back, ring selection, dead lock holders, and link tables a
/// client scribbled on (shared memory is untrusted).</summary>
public sealed class MonitorRegisterTests : IDisposable
{
    private readonly NetmapEngine _engine = new();
    private readonly NetmapHost _host;

    public MonitorRegisterTests() => _host = NetmapHost.Embedded(_engine);

    public void Dispose() => _engine.Dispose();

    [Fact]
    public void ZeroCopyRequest_GetsBothDirectionsAddedToTheWrittenBackFlags_ACopyRequestKeepsItsFlags()
    {
        using var m = NetmapPort.Open("netmap:wb{1@conf:tx-rings=2", _host);
        using var z = new EngineClient(_engine);
        Assert.Equal(Errno.None, z.Register("wb{1", flags: RegisterFlags.ZeroCopyMonitor));
        Assert.Equal(RegisterFlags.ZeroCopyMonitor | RegisterFlags.MonitorTx | RegisterFlags.MonitorRx, z.Written.Flags);
        Assert.Equal(1, z.Written.TxRings);
        Assert.Equal(2, z.Written.RxRings);
        Assert.Equal(m.MemId, z.Written.MemId);
        using var r = new EngineClient(_engine);
        Assert.Equal(Errno.None, r.Register("wb{1", flags: RegisterFlags.MonitorRx));
        Assert.Equal(RegisterFlags.MonitorRx, r.Written.Flags);
    }

    [Fact]
    public void OneNicMonitor_IsFedOnlyByItsRing()
    {
        using var m = NetmapPort.Open("netmap:on{1@conf:rings=2", _host);
        using var s = NetmapPort.Open("netmap:on}1", _host);
        using var mon = NetmapPort.Open("netmap:on{1-1/t", _host);
        Assert.Equal(1, mon.FirstRxRing);
        Assert.Single(mon.RxRings);
        Put(m, Frame(0), ring: 0);
        Put(m, Frame(1), ring: 1);
        m.TxSync();
        var got = Drain(mon);
        Assert.Single(got);
        Assert.Equal(Frame(1), got[0].Data);
    }

    [Fact]
    public void ARegistrationThatDiesHoldingAMonitorLock_HasItFreed()
    {
        using var s = NetmapPort.Open("netmap:dl}1", _host);
        using var mon = NetmapPort.Open("netmap:dl}1/r", _host);
        var master = new EngineClient(_engine);
        Assert.Equal(Errno.None, master.Register("dl{1"));
        ref var lockWord = ref mon.RxKrings[0].State.MonitorLock;
        lockWord = master.Registration!.Token; // as if it died while copying into the monitor
        master.Dispose();
        Assert.Equal(0u, lockWord);

        using var m = NetmapPort.Open("netmap:dl{1", _host); // a new sender is monitored again
        Put(m, Frame(3)); m.TxSync();
        Assert.Single(Drain(mon));
        Assert.Equal(0UL, Drops(mon));
    }

    [Fact]
    public void ScribbledLinkTable_IsValidatedBySyncs_AndRepairedByTheEngine()
    {
        using var m = NetmapPort.Open("netmap:sc{1", _host);
        using var s = NetmapPort.Open("netmap:sc}1", _host);
        ref var ks = ref m.TxKrings[0].State;
        var peerRx = m.TxKrings[0].Peer!;
        ulong bad0 = ks.BadIndices;
        // A hostile client of the region points the master's TX ring at the slave's RX ring and at nothing.
        MonitorLinks.Entry(ref ks, 0) = MonitorLinks.Encode(MonitorLinkKind.Copy, peerRx.Index);
        MonitorLinks.Entry(ref ks, 1) = MonitorLinks.Encode(MonitorLinkKind.ZeroCopy, 0xFF_FFFF);
        ks.MonitorCount = 77;
        var f = Frame(4, 90);
        Put(m, f); m.TxSync();
        Assert.True(ks.BadIndices >= bad0 + 1, "the bogus copy link was counted");
        Assert.Equal([f], Drain(s).Select(x => x.Data)); // the data path went on, the RX ring untouched by "monitors"
        s.RxSync();
        m.TxSync();                                         // the reclaim consults the zero-copy link: bogus too
        Assert.True(ks.BadIndices >= bad0 + 2, "the bogus zero-copy link was counted");
        Assert.True((m.TxRings[0].Slot(0).Flags & SlotFlags.BufferChanged) == 0, "nothing was swapped");

        using var mon = NetmapPort.Open("netmap:sc{1/t", _host); // the engine rewrites the table whole
        Assert.Equal(1u, ks.MonitorCount);
        Put(m, f); m.TxSync();
        Assert.Single(Drain(mon));
    }
}
