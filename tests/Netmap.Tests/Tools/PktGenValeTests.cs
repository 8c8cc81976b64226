using System.Text.RegularExpressions;
using Netmap.Tools;
using Netmap.Api;
using Netmap.Engine;
using Netmap.Hosting;
using Netmap.Tools.PktGen;

namespace Netmap.Tests.Tools;

/// <summary>pkt-gen on VALE ports of an embedded engine: tx on one port, rx on another, counts reconciled with
/// the switch's counters (VALE drops what does not fit; it never back-pressures).</summary>
public class PktGenValeTests
{
    private static Task<PktGenInProcess.Outcome> Start(NetmapHost host, StopSignal stop, params string[] args)
        => PktGenInProcess.Start(host, stop, args);

    private static long Received(string output)
    {
        var m = Regex.Match(output, @"Received (\d+) packets (\d+) bytes");
        Assert.True(m.Success, output);
        return long.Parse(m.Groups[1].Value);
    }

    [Theory(Timeout = 60_000)]
    [InlineData("0", 60)]
    [InlineData("10", 60)]   // -H 10: the sender's 10-byte virtio-net header is stripped for a 0-header receiver
    public async Task Tx_To_Rx_OnVale_EveryFrameReceivedOrCountedAsDropped(string header, int bytesEach)
    {
        using var engine = new NetmapEngine();
        var host = NetmapHost.Embedded(engine);
        var rxStop = new StopSignal();
        var txStop = new StopSignal();
        var rx = Start(host, rxStop, "-i", "vale7:b", "-f", "rx", "-T", "100");
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (engine.ValePortCount < 1 && DateTime.UtcNow < deadline) Thread.Sleep(5);
        var t = await Start(host, txStop, "-i", "vale7:a", "-f", "tx", "-n", "100000", "-H", header, "-T", "100");
        Assert.True(t.Exit == 0, t.Out + t.Err);
        Assert.Contains($"Sent 100000 packets {100000 * (60 + int.Parse(header))} bytes", t.Out);

        var stats = NetmapControl.ValePortStats("vale7:b", host);
        for (int i = 0; i < 200 && (long)(stats.RxPackets + stats.RxDrops) < 100000; i++) { Thread.Sleep(10); stats = NetmapControl.ValePortStats("vale7:b", host); }
        Thread.Sleep(200); // let the receiver drain its ring
        rxStop.Set();
        var r = await rx;
        Assert.True(r.Exit == 0, r.Out + r.Err);
        long got = Received(r.Out);
        Assert.Equal(100000UL, stats.RxPackets + stats.RxDrops);
        Assert.Equal((long)stats.RxPackets, got);
        Assert.Contains($"Received {got} packets {got * bytesEach} bytes", r.Out);
        Assert.True(got > 0);
    }
}
