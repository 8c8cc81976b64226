using Netmap.Api;
using Netmap.Hosting;
using Netmap.Tests.Infrastructure;
using Netmap.Tests.Scenarios;

namespace Netmap.Tests.Hosting;

/// <summary>netmapd's VALE forwarding worker: busy it spins, idle it must sleep (no CPU burnt by an idle switch).</summary>
public class ValeWorkerIdleTests
{
    [Fact(Timeout = 30_000)]
    public async Task IdleSwitch_WithOpenPorts_CostsNetmapdAlmostNoCpu()
    {
        await Task.Yield();
        using var daemon = DaemonFixture.Start();
        var host = NetmapHost.Daemon(daemon.SocketPath);
        using var a = NetmapPort.Open("vale0:a", host);
        using var b = NetmapPort.Open("vale0:b", host);
        // Some traffic first, so the worker has run and then has to go back to sleep.
        var frame = new byte[60];
        frame[0] = 0xff; frame[1] = 0xff; frame[2] = 0xff; frame[3] = 0xff; frame[4] = 0xff; frame[5] = 0xff;
        for (int i = 0; i < 100; i++) { a.Inject(frame); a.TxSync(); }
        var deadline = DateTime.UtcNow.AddSeconds(5);
        int got = 0;
        while (got < 100 && DateTime.UtcNow < deadline)
        {
            b.Poll(PollEvents.In, 100);
            while (b.NextPacket(out _, out _)) got++;
        }
        Assert.Equal(100, got);

        Thread.Sleep(200);
        var before = ProcStat.CpuTime(daemon.ProcessId);
        Thread.Sleep(1500);
        var used = ProcStat.CpuTime(daemon.ProcessId) - before;
        // A spinning worker would take ~1.5 s; a sleeping one takes ~0 (allow the runtime's own timers).
        Assert.True(used < TimeSpan.FromMilliseconds(150), $"netmapd used {used.TotalMilliseconds} ms of CPU in 1.5 s idle");
    }
}
