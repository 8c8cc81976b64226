using System.Diagnostics;
using Netmap.Abi;
using Netmap.Api;
using Netmap.Hosting;
using Netmap.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Netmap.Tests.Scenarios;

/// <summary>Helpers of the cross-process VALE scenarios (frames in <see cref="ValeScenarioFrame"/>, children in
/// <see cref="ValeShellPeer"/>).</summary>
public static class ValeScenario
{
    public static readonly TimeSpan Limit = TimeSpan.FromSeconds(15);

    /// <summary>"02:00:00:00:00:0a" for <paramref name="n"/> = 10.</summary>
    public static string Mac(int n) => ValeScenarioFrame.FormatMac(ValeScenarioFrame.Mac(n));

    public const string Broadcast = "ff:ff:ff:ff:ff:ff";

    /// <summary>Starts one vale-shell child per name, all before waiting for any (their runtimes start in parallel).</summary>
    public static ValeShellPeer[] StartPeers(ITestOutputHelper log, DaemonFixture daemon, params string[] names)
    {
        var peers = new List<ValeShellPeer>();
        try
        {
            foreach (var n in names) peers.Add(ValeShellPeer.Start(log, n, daemon.SocketPath, wait: false));
            foreach (var p in peers) p.WaitForReady();
            return peers.ToArray();
        }
        catch
        {
            foreach (var p in peers) p.Dispose();
            throw;
        }
    }

    /// <summary>The names NETMAP_REQ_VALE_LIST reports on switch <paramref name="switchName"/>, sorted.</summary>
    public static string[] Listed(NetmapHost host, string switchName)
        => NetmapControl.ValeListAll(host).Select(p => p.Name).Where(n => n.StartsWith(switchName + ":", StringComparison.Ordinal)).Order(StringComparer.Ordinal).ToArray();

    /// <summary>Waits (bounded) until switch <paramref name="switchName"/> lists exactly <paramref name="expected"/>:
    /// netmapd drops a killed client's port when it sees the connection close, asynchronously to the kill.</summary>
    public static void AssertListedEventually(NetmapHost host, string switchName, string[] expected, ITestOutputHelper log)
    {
        var want = expected.Order(StringComparer.Ordinal).ToArray();
        var clock = Stopwatch.StartNew();
        string[] got;
        while (!(got = Listed(host, switchName)).SequenceEqual(want) && clock.Elapsed < TimeSpan.FromSeconds(5)) Thread.Sleep(5);
        log.WriteLine($"{switchName} lists [{string.Join(", ", got)}] after {clock.Elapsed.TotalMilliseconds:F0} ms");
        Assert.Equal(want, got);
    }

    /// <summary>Waits (bounded) until <paramref name="condition"/> holds for the counters of <paramref name="port"/>.</summary>
    public static NmReqValePortStats WaitForStats(NetmapHost host, string port, Func<NmReqValePortStats, bool> condition, string what)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var s = NetmapControl.ValePortStats(port, host);
            if (condition(s)) return s;
            if (clock.Elapsed > Limit)
                throw new Xunit.Sdk.XunitException($"{port}: {what} not reached within {Limit.TotalSeconds} s: rx {s.RxPackets} (drops {s.RxDrops}), tx {s.TxPackets} (drops {s.TxDrops})");
            Thread.Sleep(5);
        }
    }
}
