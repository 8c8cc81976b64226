using Netmap.Api;
using Netmap.Tests.Vale;

namespace Netmap.Tests.Monitors;

/// <summary>The monitors' share of the data path allocates nothing either: pipe traffic with copy and zero-copy
/// monitors on both ends (monitors read, drop when full, and chain), and VALE forwarding into monitored ports.</summary>
public sealed class MonitorAllocationTests
{
    private static void Pump(NetmapPort tx, NetmapPort rx, NetmapPort[] monitors, int packets, byte[] frame)
    {
        int received = 0, sent = 0;
        while (received < packets)
        {
            for (int i = 0; i < 100 && sent < packets && tx.Inject(frame); i++) sent++;
            tx.TxSync();
            rx.RxSync();
            while (rx.NextPacket(out _, out _)) received++;
            rx.RxSync();
            for (int i = 0; i < monitors.Length; i++)
            {
                var mon = monitors[i];
                if (i != 3) { mon.RxSync(); while (mon.NextPacket(out _, out _)) { } } // all read but one, which stays full
            }
        }
    }

    [Fact]
    public void PipeTrafficWithMonitors_AfterWarmUp_AllocatesZeroBytes()
    {
        using var h = new ValeTestHost(false);
        using var m = NetmapPort.Open("netmap:al{1", h.Host);
        using var s = NetmapPort.Open("netmap:al}1", h.Host);
        // The last one is second in the zero-copy chain of al{1: it gets what the second one releases.
        var monitors = new[] { "netmap:al{1/t", "netmap:al{1/z", "netmap:al}1/r", "netmap:al}1/z", "netmap:al{1/z" }
            .Select(spec => NetmapPort.Open(spec, h.Host)).ToArray();
        try
        {
            var frame = MonitorKit.Frame(1, 60);
            Pump(m, s, monitors, 50_000, frame);
            long before = GC.GetAllocatedBytesForCurrentThread();
            Pump(m, s, monitors, 300_000, frame);
            Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
            Assert.True(monitors.All(x => x.RxKrings[0].State.Slots > 0), "every monitor got frames");
            Assert.True(MonitorKit.Drops(monitors[3]) > 0, "the unread monitor dropped");
        }
        finally { foreach (var mon in monitors) mon.Dispose(); }
    }

    [Fact]
    public void ValeForwardingIntoMonitoredPorts_AfterWarmUp_AllocatesZeroBytes()
    {
        using var h = new ValeTestHost(false); // embedded: the forwarding runs in this thread's txsync
        using var a = NetmapPort.Open("vale0:a", h.Host);
        using var b = NetmapPort.Open("vale0:b", h.Host);
        var monitors = new[] { NetmapPort.Open("vale0:a/rt", h.Host), NetmapPort.Open("vale0:b/z", h.Host) };
        try
        {
            var frame = MonitorKit.Frame(1, 60);
            Pump(a, b, monitors, 20_000, frame);
            long before = GC.GetAllocatedBytesForCurrentThread();
            Pump(a, b, monitors, 100_000, frame);
            Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
            Assert.True(monitors.All(x => x.RxKrings[0].State.Slots > 0), "every monitor got frames");
        }
        finally { foreach (var mon in monitors) mon.Dispose(); }
    }
}
