using System.Diagnostics;
using Netmap.Abi;
using Netmap.Api;
using Netmap.Hosting;
using Xunit.Abstractions;

namespace Netmap.Tests.Scenarios;

/// <summary>Control-path helpers of the scenarios.</summary>
public static class Scenario
{
    /// <summary>
    /// Free buffers of the region of pipe parent <paramref name="parent"/> (which must exist already, or the probe
    /// would create the region sized for its request): an open asking for more extra buffers than exist gets every
    /// free one (netmap hands out what it can). The probe's own pipe takes the same number each time.
    /// </summary>
    public static uint FreeBuffers(NetmapHost host, string parent)
    {
        // Dispose is synchronous (PortCloseScenarioTests): when it returns, the buffers are free again.
        using var probe = NetmapPort.Open($"netmap:{parent}{{probe", host, new NetmapPortOptions { ExtraBuffers = 50_000_000 });
        return probe.ExtraBuffers;
    }

    /// <summary>Asserts the free-buffer count is back to <paramref name="expected"/>, allowing netmapd a moment to
    /// process the connections of processes killed just before.</summary>
    public static void AssertFreeBuffers(NetmapHost host, string parent, uint expected, ITestOutputHelper log)
    {
        var clock = Stopwatch.StartNew();
        uint free;
        while ((free = FreeBuffers(host, parent)) != expected && clock.Elapsed < TimeSpan.FromSeconds(5)) Thread.Sleep(20);
        log.WriteLine($"free buffers of {parent}'s region: {free} (expected {expected}, settled after {clock.Elapsed.TotalMilliseconds:F0} ms)");
        Assert.Equal(expected, free);
    }

    /// <summary>Opens <paramref name="spec"/>, retrying EBUSY for up to <paramref name="patience"/>: netmapd releases
    /// the registration of a killed process when it sees the connection close, asynchronously to the kill.</summary>
    public static NetmapPort OpenWithRetry(string spec, NetmapHost host, TimeSpan patience, NetmapPortOptions? options = null)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            try { return NetmapPort.Open(spec, host, options); }
            catch (NetmapException e) when (e.Errno == Errno.EBUSY && clock.Elapsed < patience) { Thread.Sleep(5); }
        }
    }
}
