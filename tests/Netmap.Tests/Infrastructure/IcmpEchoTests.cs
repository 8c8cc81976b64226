using System.Diagnostics;
using System.Net;

namespace Netmap.Tests.Infrastructure;

/// <summary>The lab's ping (<see cref="IcmpEcho"/>): replies counted per request, nothing counted for silence or for
/// other pings' replies, no process started.</summary>
public sealed class IcmpEchoTests : IDisposable
{
    private readonly NetworkLab _lab = new();
    private readonly string _a, _b;

    public IcmpEchoTests()
    {
        _a = _lab.Namespace("pa");
        _b = _lab.Namespace("pb");
        var (a0, b0) = _lab.Veth(peerNamespace: _b, rootNamespace: _a);
        _lab.Exec(_a, $"ip addr add 10.97.0.1/24 dev {a0}");
        _lab.Exec(_b, $"ip addr add 10.97.0.2/24 dev {b0}");
    }

    public void Dispose() => _lab.Dispose();

    [Fact]
    public void APeerAnswersEveryRequest_AndTheCallEndsWithTheLastReply()
    {
        var clock = Stopwatch.StartNew();
        var r = _lab.Ping(_a, "10.97.0.2", count: 3, intervalMs: 100, timeoutMs: 5000);
        Assert.Equal(new PingResult(_a, IPAddress.Parse("10.97.0.2"), 3, 3, null), r);
        Assert.True(r.Answered);
        Assert.True(clock.ElapsedMilliseconds < 2000, $"waited {clock.ElapsedMilliseconds} ms after the last reply");
        Assert.Equal(2, _lab.Ping(_b, "10.97.0.1", count: 2, intervalMs: 50).Replies);
    }

    [Fact]
    public void Silence_IsNoReply_AfterTheTimeout()
    {
        var clock = Stopwatch.StartNew();
        var r = _lab.Ping(_a, "10.97.0.9", count: 2, intervalMs: 100, timeoutMs: 400); // nobody has it: ARP fails
        Assert.Equal(2, r.Sent);
        Assert.Equal(0, r.Replies);
        Assert.False(r.Answered);
        Assert.InRange(clock.ElapsedMilliseconds, 450, 3000);
    }

    [Fact]
    public void NoRoute_IsReportedAsTheSendError()
    {
        var r = _lab.Ping(_a, "192.0.2.7", timeoutMs: 100);
        Assert.False(r.Answered);
        Assert.Equal("sendto: NetworkUnreachable", r.Error);
        Assert.Contains("0 replies (sendto: NetworkUnreachable)", r.ToString());
    }

    [Fact]
    public async Task ConcurrentPings_CountOnlyTheirOwnReplies()
    {
        // Every raw ICMP socket of the namespace sees every reply; each must count its own only.
        var pings = Enumerable.Range(0, 3).Select(_ => _lab.PingAsync(_a, "10.97.0.2", count: 4, intervalMs: 50, timeoutMs: 2000)).ToArray();
        var results = await Task.WhenAll(pings);
        Assert.All(results, r => Assert.Equal(4, r.Replies));
    }

    [Fact]
    public void InTheTestsOwnNamespace_Loopback()
        => Assert.Equal(2, _lab.Ping(null, "127.0.0.1", count: 2, intervalMs: 10).Replies);

    [Fact]
    public void Checksum_IsRfc1071()
    {
        // An echo request, id 0x1234, seq 1, payload "ab": sum of words 0x0800 + 0x1234 + 0x0001 + 0x6162 = 0x7B97.
        Assert.Equal(0x8468, IcmpEcho.Checksum([0x08, 0, 0, 0, 0x12, 0x34, 0, 1, (byte)'a', (byte)'b']));
        Assert.Equal(0xFFFF - 0x6100, IcmpEcho.Checksum([(byte)'a'])); // an odd byte counts as its high half
    }
}
