using System.Diagnostics;
using Netmap.Abi;
using Netmap.Api;
using Netmap.Tests.Vale;
using static Netmap.Tests.Monitors.MonitorKit;

namespace Netmap.Tests.Monitors;

/// <summary>
/// What a monitor is and how it lives (spec section 7): opening needs the port in netmap mode; name, rings and slots;
/// the TX ring cannot send; the parent closing makes the monitor's syncs fail (and wakes it); the monitor closing,
/// even under traffic, leaves the parent working and frees everything.
/// </summary>
public sealed class MonitorLifecycleTests
{
    private bool _stopTraffic;

    [Theory]
    [InlineData(false, "vale0:nobody/r", "vale0:nobody")]
    [InlineData(true, "vale0:nobody/t", "vale0:nobody")]
    [InlineData(false, "netmap:nopipe{1/t", "nopipe{1")]
    [InlineData(true, "netmap:nopipe}1/z", "nopipe}1")]
    public void MonitorOfAPortNotInNetmapMode_IsEinval_NamingThePort(bool daemon, string spec, string port)
    {
        using var h = new ValeTestHost(daemon);
        var e = Assert.Throws<NetmapException>(() => NetmapPort.Open(spec, h.Host));
        Assert.Equal(Errno.EINVAL, e.Errno);
        Assert.Contains($"{port} is not in netmap mode", e.Message);
        Assert.Equal(0, h.Engine.RegistrationCount);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void MonitorOfAPipeEnd_WhoseOtherEndAloneIsOpen_IsEinval(bool daemon)
    {
        using var h = new ValeTestHost(daemon);
        using var s = NetmapPort.Open("netmap:half}1", h.Host);
        var e = Assert.Throws<NetmapException>(() => NetmapPort.Open("netmap:half{1/r", h.Host));
        Assert.Equal(Errno.EINVAL, e.Errno);
        Assert.Contains("half{1 is not in netmap mode", e.Message);
        using var ok = NetmapPort.Open("netmap:half}1/r", h.Host); // the open end can be monitored
        Assert.Single(ok.RxRings);
    }

    [Fact]
    public void MonitorOfAnUnknownInterface_IsEnxio()
    {
        using var h = new ValeTestHost(false);
        var e = Assert.Throws<NetmapException>(() => NetmapPort.Open("netmap:eth9/r", h.Host));
        Assert.Equal(Errno.ENXIO, e.Errno);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Monitor_HasNetmapsNameRingsAndSlots_AndRxRingIFollowsParentRingI(bool daemon)
    {
        using var h = new ValeTestHost(daemon);
        using var m = NetmapPort.Open("netmap:nm{1@conf:tx-rings=3,rx-rings=1,tx-slots=256,rx-slots=128", h.Host);
        using var s = NetmapPort.Open("netmap:nm}1", h.Host);
        using var t = NetmapPort.Open("netmap:nm{1/t", h.Host);
        using var r = NetmapPort.Open("netmap:nm{1/r", h.Host);
        using var z = NetmapPort.Open("netmap:nm{1/z", h.Host);
        using var small = NetmapPort.Open("netmap:nm{1/rt@conf:rx-slots=16", h.Host);

        Assert.Equal("nm{1/t#0", t.Interface.Name);
        Assert.Equal("nm{1/r#1", r.Interface.Name);
        Assert.Equal("nm{1/zrt#2", z.Interface.Name);
        Assert.Equal("nm{1/rt#3", small.Interface.Name);
        Assert.Single(t.TxRings);                    // one TX ring...
        Assert.Equal(3, t.RxRings.Count);            // ...and max(3 tx, 1 rx) RX rings
        Assert.Equal(128u, t.RxSlots);               // slots default to the parent's
        Assert.Equal(256u, t.TxSlots);
        Assert.Equal(16u, small.RxSlots);
        Assert.Equal(m.MemId, t.MemId);              // in the monitored port's region

        var f = Frame(2);
        Put(m, f, ring: 2);
        m.TxSync();
        var got = Drain(t);
        Assert.Single(got);
        Assert.Equal(2, got[0].Ring);                // TX ring 2 -> monitor RX ring 2
        Assert.Equal(f, got[0].Data);
        Assert.Empty(Drain(r));
        Assert.Equal(2, Drain(small).Single().Ring);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ManyCopyMonitors_OnOneRing_AllSeeEveryFrame(bool daemon)
    {
        using var h = new ValeTestHost(daemon);
        using var m = NetmapPort.Open("netmap:many{1", h.Host);
        using var s = NetmapPort.Open("netmap:many}1", h.Host);
        var mons = Enumerable.Range(0, 4).Select(_ => NetmapPort.Open("netmap:many{1/t", h.Host)).ToList();
        try
        {
            var frames = Enumerable.Range(0, 10).Select(i => Frame(i, 70 + i)).ToArray();
            foreach (var f in frames) Put(m, f);
            m.TxSync();
            foreach (var mon in mons) Assert.Equal(frames, Drain(mon).Select(x => x.Data));
            mons[1].Dispose();                       // one leaves: the others go on
            foreach (var f in frames) Put(m, f);
            m.TxSync();
            foreach (var mon in mons.Where((_, i) => i != 1)) Assert.Equal(frames, Drain(mon).Select(x => x.Data));
        }
        finally { foreach (var mon in mons) mon.Dispose(); }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void MonitorTxSync_AlwaysFails(bool daemon)
    {
        using var h = new ValeTestHost(daemon);
        using var a = NetmapPort.Open("vale0:a", h.Host);
        using var mon = NetmapPort.Open("vale0:a/rt", h.Host);
        Assert.False(mon.TxSync());
        Put(mon, Frame(1));                        // a monitor cannot inject
        Assert.False(mon.TxSync());
        Assert.True((mon.Poll(PollEvents.Out, 0) & PollEvents.Error) != 0);
        Assert.True(mon.RxSync());                 // its RX side is fine
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ClosingTheParent_MakesTheMonitorsSyncsFail_AndWakesASleepingMonitor(bool daemon)
    {
        using var h = new ValeTestHost(daemon);
        var a = NetmapPort.Open("vale0:a", h.Host);
        using var b = NetmapPort.Open("vale0:b", h.Host);
        using var mon = NetmapPort.Open("vale0:a/rt", h.Host);
        ValeFrames.Send(a, Frame(1));
        Assert.Single(Receive(mon, 1));
        Assert.True(mon.RxSync());

        var events = PollEvents.None;
        long ms = -1;
        var sleeper = new Thread(() =>
        {
            var clock = Stopwatch.StartNew();
            events = mon.Poll(PollEvents.In, 5000);
            ms = clock.ElapsedMilliseconds;
        });
        sleeper.Start();
        Thread.Sleep(100);
        a.Dispose();                               // vale0:a leaves netmap mode (and is destroyed)
        Assert.True(sleeper.Join(5000));
        Assert.True((events & PollEvents.Error) != 0, $"poll returned {events}");
        Assert.True(ms < 2000, $"woken after {ms} ms");
        Assert.False(mon.RxSync());                // EIO from now on
        Assert.False(mon.RxSync());
        using var again = NetmapPort.Open("vale0:a", h.Host); // a new vale0:a is another port: still orphaned
        ValeFrames.Send(again, Frame(2));
        Assert.False(mon.RxSync());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ClosingAPipeEnd_OrphansItsMonitors_NotThoseOfTheOtherEnd(bool daemon)
    {
        using var h = new ValeTestHost(daemon);
        var m = NetmapPort.Open("netmap:po{1", h.Host);
        using var s = NetmapPort.Open("netmap:po}1", h.Host);
        using var mm = NetmapPort.Open("netmap:po{1/t", h.Host);
        using var sm = NetmapPort.Open("netmap:po}1/r", h.Host);
        Put(m, Frame(1)); m.TxSync();
        m.Dispose();
        Assert.False(mm.RxSync());
        Assert.True(sm.RxSync());
        Assert.Single(Take(sm));                   // what arrived before is still readable
        Assert.Single(Drain(s));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ClosingMonitorsUnderTraffic_LeavesTheParentWorking_AndFreesEverything(bool daemon)
    {
        using var h = new ValeTestHost(daemon);
        using var keep = NetmapPort.Open("netmap:ut{0", h.Host);
        ushort memId = keep.MemId;
        long free0 = h.Engine.FreeBuffers(memId);
        using var m = NetmapPort.Open("netmap:ut{1", h.Host);
        using var s = NetmapPort.Open("netmap:ut}1", h.Host);
        long freeOpen = h.Engine.FreeBuffers(memId);
        int sent = 0, received = 0;
        _stopTraffic = false;
        string? failure = null;
        var traffic = new Thread(() =>
        {
            // Sender and receiver in one thread: sequence numbers in the first 4 bytes, checked in order.
            var frame = new byte[64];
            var clock = Stopwatch.StartNew();
            while (failure is null && clock.ElapsedMilliseconds < 20_000 && (!Volatile.Read(ref _stopTraffic) || received < sent))
            {
                for (int i = 0; i < 64 && !Volatile.Read(ref _stopTraffic); i++)
                {
                    BitConverter.TryWriteBytes(frame, sent);
                    if (!m.Inject(frame)) break;
                    sent++;
                }
                m.TxSync();
                s.RxSync();
                while (s.NextPacket(out var f, out _))
                {
                    int seq = BitConverter.ToInt32(f);
                    if (seq != received || f.Length != 64) { failure = $"got seq {seq} len {f.Length}, expected {received}"; break; }
                    received++;
                }
            }
        });
        traffic.Start();
        string[] kinds = ["/t", "/r", "/rt", "/z"];
        for (int cycle = 0; cycle < 24; cycle++)
        {
            var spec = "netmap:ut" + (cycle % 2 == 0 ? "{1" : "}1") + kinds[cycle % kinds.Length];
            using var mon = NetmapPort.Open(spec, h.Host);
            for (int i = 0; i < 3; i++) { Drain(mon); Thread.Sleep(1); }
        }
        Volatile.Write(ref _stopTraffic, true);
        Assert.True(traffic.Join(30_000));
        Assert.Null(failure);
        Assert.True(sent > 1000, $"only {sent} frames went through while monitors came and went");
        Assert.Equal(sent, received);
        Assert.Equal(freeOpen, h.Engine.FreeBuffers(memId)); // every monitor's buffers came back
        Assert.Equal(0, h.Engine.DoubleFrees);
        Assert.True(free0 > freeOpen);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ClosingValeMonitorsUnderTraffic_LeavesTheSwitchWorking_AndFreesEverything(bool daemon)
    {
        using var h = new ValeTestHost(daemon);
        using var a = NetmapPort.Open("vale0:a", h.Host);
        using var b = NetmapPort.Open("vale0:b", h.Host);
        ushort memA = a.MemId, memB = b.MemId;
        long freeA = h.Engine.FreeBuffers(memA), freeB = h.Engine.FreeBuffers(memB);
        int sent = 0, received = 0;
        string? failure = null;
        var traffic = new Thread(() =>
        {
            // Batches of 200 broadcast frames a -> b, each batch received in full (VALE has no back-pressure).
            var frame = Frame(0, 64);
            var clock = Stopwatch.StartNew();
            while (failure is null && !Volatile.Read(ref _stopTraffic) && clock.ElapsedMilliseconds < 20_000)
            {
                for (int i = 0; i < 200; i++)
                {
                    BitConverter.TryWriteBytes(frame.AsSpan(14), sent);
                    if (!a.Inject(frame)) break;
                    sent++;
                }
                a.TxSync();
                while (received < sent && failure is null && clock.ElapsedMilliseconds < 20_000)
                {
                    b.Poll(PollEvents.In, 100);
                    while (b.NextPacket(out var f, out _))
                    {
                        int seq = BitConverter.ToInt32(f[14..]);
                        if (seq != received) { failure = $"got seq {seq}, expected {received}"; break; }
                        received++;
                    }
                }
            }
        });
        traffic.Start();
        string[] specs = ["vale0:a/t", "vale0:b/r", "vale0:a/rt", "vale0:a/z", "vale0:b/z"];
        for (int cycle = 0; cycle < 15; cycle++)
        {
            using var mon = NetmapPort.Open(specs[cycle % specs.Length], h.Host);
            for (int i = 0; i < 3; i++) { Drain(mon); Thread.Sleep(2); }
        }
        Volatile.Write(ref _stopTraffic, true);
        Assert.True(traffic.Join(30_000));
        Assert.Null(failure);
        Assert.True(sent > 1000, $"only {sent} frames went through while monitors came and went");
        Assert.Equal(sent, received);
        Assert.Equal(freeA, h.Engine.FreeBuffers(memA));
        Assert.Equal(freeB, h.Engine.FreeBuffers(memB));
        Assert.Equal(0, h.Engine.DoubleFrees);
    }
}
