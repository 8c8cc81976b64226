using Netmap.Tools;
using Netmap.Engine;
using Netmap.Hosting;
using Netmap.Tools.PktGen;

namespace Netmap.Tests.Tools;

/// <summary>pkt-gen's functions against each other over a pipe of an embedded engine (one process, two threads).</summary>
public class PktGenEndToEndTests
{
    private static Task<PktGenInProcess.Outcome> Start(NetmapHost host, StopSignal stop, params string[] args)
        => PktGenInProcess.Start(host, stop, args);

    [Fact(Timeout = 60_000)]
    public async Task Tx_To_Rx_OverPipe_Counts100000()
    {
        using var engine = new NetmapEngine();
        var host = NetmapHost.Embedded(engine);
        var stop = new StopSignal();
        var rx = Start(host, stop, "-i", "netmap:pt}1", "-f", "rx", "-n", "100000", "-w", "0", "-T", "100");
        var tx = Start(host, stop, "-i", "netmap:pt{1", "-f", "tx", "-n", "100000", "-w", "0", "-T", "100");
        var t = await tx;
        var r = await rx;

        Assert.True(t.Exit == 0, t.Out + t.Err);
        Assert.True(r.Exit == 0, r.Out + r.Err);
        var tl = t.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("Sending on netmap:pt{1: 1 queues, 1 threads and 1 cpus.", tl[0]);
        Assert.Equal("10.0.0.1 -> 10.1.0.1 (00:00:00:00:00:00 -> ff:ff:ff:ff:ff:ff)", tl[1]);
        Assert.StartsWith("Sent 100000 packets 6000000 bytes ", tl[2]);
        Assert.Matches(@"^Speed: \d+\.\d{3} [KMG]?pps Bandwidth: \d+\.\d{3} [KMG]?bps \(raw \d+\.\d{3} [KMG]?bps\)\. Average batch: \d+\.\d{2} pkts$", tl[3]);
        var rl = r.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("Receiving from netmap:pt}1: 1 queues, 1 threads and 1 cpus.", rl[0]);
        Assert.StartsWith("Received 100000 packets 6000000 bytes ", rl[1]);
        Assert.StartsWith("Speed: ", rl[2]);
        // No report line is asserted: 100,000 packets may cross the pipe before the first -T 100 interval ends
        // (the line format is covered by PktGenReportTests).
    }

    [Theory(Timeout = 60_000)]
    [InlineData("5000", "1")]   // larger than a 2048-byte buffer: 3 slots chained with NS_MOREFRAG
    [InlineData("1514", "3")]   // -F 3
    public async Task Tx_To_Rx_Fragmented_CountsPackets(string size, string frags)
    {
        using var engine = new NetmapEngine();
        var host = NetmapHost.Embedded(engine);
        var stop = new StopSignal();
        var rx = Start(host, stop, "-i", "netmap:pf}1", "-n", "20000", "-w", "0", "--busy");
        var tx = Start(host, stop, "-i", "netmap:pf{1", "-f", "tx", "-n", "20000", "-l", size, "-F", frags, "-w", "0", "--busy");
        var t = await tx;
        var r = await rx;
        Assert.True(t.Exit == 0, t.Out + t.Err);
        Assert.True(r.Exit == 0, r.Out + r.Err);
        long bytes = 20000L * int.Parse(size);
        Assert.Contains($"Sent 20000 packets {bytes} bytes ", t.Out);
        Assert.Contains($"Received 20000 packets {bytes} bytes ", r.Out);
    }

    [Fact(Timeout = 60_000)]
    public async Task Ping_Pong_OverPipe()
    {
        using var engine = new NetmapEngine();
        var host = NetmapHost.Embedded(engine);
        var stop = new StopSignal();
        var pong = Start(host, stop, "-i", "netmap:pp}1", "-f", "pong", "-n", "50", "-w", "0");
        var ping = Start(host, stop, "-i", "netmap:pp{1", "-f", "ping", "-n", "50", "-w", "0");
        var pi = await ping;
        var po = await pong.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.True(pi.Exit == 0, pi.Out + pi.Err);
        Assert.True(po.Exit == 0, po.Out + po.Err);
        Assert.Contains("Sent 50 packets 3000 bytes", pi.Out);
        Assert.Matches(@"ping_body \[\d+\] RTT over 50 packets: min \d+ av \d+ ns \(50 replies\)", pi.Err);
        Assert.Matches(@"ping_body \[\d+\] k: \d+ \.\. \d+ ns:( +\d+)+", pi.Err);
        Assert.Contains("Sent 50 packets 3000 bytes", po.Out);
    }

    [Fact(Timeout = 30_000)]
    public async Task Rx_StopSignal_PrintsNothingReceived()
    {
        using var engine = new NetmapEngine();
        var host = NetmapHost.Embedded(engine);
        var stop = new StopSignal();
        var rx = Start(host, stop, "-i", "netmap:ps}1", "-w", "0");
        await Task.Delay(300);
        stop.Set();
        var r = await rx;
        Assert.Equal(0, r.Exit);
        Assert.Contains("Received nothing.", r.Out);
    }

    [Fact]
    public void OpenFailure_PrintsPortAndExits1()
    {
        using var engine = new NetmapEngine();
        var host = NetmapHost.Embedded(engine);
        var stop = new StopSignal();
        Assert.True(PktGenOptions.TryParse(["-i", "netmap:bad-", "-w", "0"], out var o, out _));
        var se = new StringWriter();
        int rc = PktGenRunner.Run(o, host, new StringWriter(), se, stop);
        Assert.Equal(1, rc);
        Assert.Contains("netmap:bad-", se.ToString());
    }
}
