using Netmap.Tools;
using Netmap.Api;
using Netmap.Engine;
using Netmap.Hosting;
using Netmap.Tests.Api;
using Netmap.Tools.Bridge;

namespace Netmap.Tests.Tools;

/// <summary>bridge's main on a thread of the test process, against an embedded engine.</summary>
public sealed class BridgeRunnerTests : IDisposable
{
    private readonly NetmapEngine _engine = new();
    private readonly NetmapHost _host;

    public BridgeRunnerTests() => _host = NetmapHost.Embedded(_engine);

    public void Dispose() => _engine.Dispose();

    private sealed record Outcome(int Exit, string Out, string Err)
    {
        public override string ToString() => $"exit {Exit}\nstdout:\n{Out}\nstderr:\n{Err}";
    }

    private Task<Outcome> Start(StopSignal stop, params string[] args)
    {
        Assert.True(BridgeOptions.TryParse(args, out var o, out var err), err);
        return Task.Factory.StartNew(() =>
        {
            var so = new StringWriter();
            var se = new StringWriter();
            int rc = BridgeRunner.Run(o, _host, TextWriter.Synchronized(so), TextWriter.Synchronized(se), stop);
            return new Outcome(rc, so.ToString(), se.ToString());
        }, TaskCreationOptions.LongRunning);
    }

    private static bool WaitFor(Func<bool> condition, int timeoutMs = 5000)
    {
        var sw = System.Diagnostics.Stopwatch.StartNew();
        while (!condition())
        {
            if (sw.ElapsedMilliseconds > timeoutMs) return false;
            Thread.Sleep(5);
        }
        return true;
    }

    [Fact(Timeout = 20_000)]
    public async Task ForwardsBothWays_ThenPrintsTheSummary()
    {
        using var endA = NetmapPort.Open("netmap:rb}1", _host);
        using var endB = NetmapPort.Open("netmap:rb}2", _host);
        var stop = new StopSignal();
        var run = Start(stop, "-w", "0", "-i", "rb{1", "-i", "rb{2");

        var toB = Enumerable.Range(0, 200).Select(i => PortBridgeRig.Frame(60 + i, i)).ToList();
        var toA = Enumerable.Range(0, 50).Select(i => PortBridgeRig.Frame(5000, 1000 + i)).ToList();
        PortBridgeRig.Send(endA, toB);
        PortBridgeRig.Send(endB, toA);
        var atA = new List<byte[]>();
        var atB = new List<byte[]>();
        Assert.True(WaitFor(() =>
        {
            atA.AddRange(PortBridgeRig.Drain(endA));
            atB.AddRange(PortBridgeRig.Drain(endB));
            return atA.Count >= toA.Count && atB.Count >= toB.Count;
        }), $"A got {atA.Count}, B got {atB.Count}");
        stop.Set();
        var o = await run;

        Assert.True(o.Exit == 0, o.ToString());
        Assert.Equal(toB.Count, atB.Count);
        for (int i = 0; i < toB.Count; i++) Assert.Equal(toB[i], atB[i]);
        for (int i = 0; i < toA.Count; i++) Assert.Equal(toA[i], atA[i]);
        Assert.Equal("200 packets netmap:rb{1 -> netmap:rb{2\n50 packets netmap:rb{2 -> netmap:rb{1\n0 slots dropped or truncated\n", o.Out);
        var err = o.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Matches(@"^\d{3}\.\d{6} main \[\d+\] ------- zerocopy supported$", err[0]);
        Assert.EndsWith(" Wait 0 secs for link to come up...", err[1]);
        Assert.EndsWith(" Ready to go, netmap:rb{1 0x0/1 <-> netmap:rb{2 0x0/1.", err[2]);
    }

    [Fact(Timeout = 20_000)]
    public async Task CopyFlag_DisablesZeroCopy()
    {
        var stop = new StopSignal();
        stop.Set(); // prints the start lines and the summary, forwards nothing
        var o = await Start(stop, "-c", "-w", "0", "rc{1", "rc{2");
        Assert.True(o.Exit == 0, o.ToString());
        Assert.Contains("------- zerocopy NOT supported", o.Err);
        Assert.StartsWith("0 packets netmap:rc{1 -> netmap:rc{2\n", o.Out);
    }

    [Fact(Timeout = 20_000)]
    public async Task Verbose_PrintsTheCountersEverySecond()
    {
        var stop = new StopSignal();
        var run = Start(stop, "-v", "-w", "0", "rv{1", "rv{2");
        await Task.Delay(1300);
        stop.Set();
        var o = await run;
        Assert.True(o.Exit == 0, o.ToString());
        Assert.Contains("A->B 0 B->A 0 dropped 0", o.Err);
    }

    [Fact(Timeout = 20_000)]
    public async Task StopDuringTheLinkWait_EndsAtOnce()
    {
        var stop = new StopSignal();
        var sw = System.Diagnostics.Stopwatch.StartNew();
        var run = Start(stop, "rw{1", "rw{2"); // default -w 4
        await Task.Delay(200);
        stop.Set();
        var o = await run;
        Assert.True(o.Exit == 0, o.ToString());
        Assert.True(sw.ElapsedMilliseconds < 3000);
        Assert.Contains("Wait 4 secs for link to come up...", o.Err);
    }

    [Fact(Timeout = 20_000)]
    public async Task PortThatCannotBeOpened_IsNamed_AndExits1()
    {
        var stop = new StopSignal();
        var o = await Start(stop, "-w", "0", "netmap:ok{1", "netmap:bad-");
        Assert.Equal(1, o.Exit);
        Assert.Contains("cannot open netmap:bad-", o.Err);
        Assert.Contains("netmap:bad-: ", o.Err);
        Assert.Equal("", o.Out);
    }

    [Fact(Timeout = 20_000)]
    public async Task SameInterface_GoesToTheHostStack_AndFailsCleanlyWithoutHostRings()
    {
        // Pipes have no host rings: "netmap:hs{1^" cannot be opened.
        var stop = new StopSignal();
        var o = await Start(stop, "-w", "0", "hs{1");
        Assert.Equal(1, o.Exit);
        var err = o.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.EndsWith(" same interface, endpoint 1 goes to host", err[0]);
        Assert.EndsWith(" cannot open netmap:hs{1^", err[1]);
        Assert.StartsWith("netmap:hs{1^: ", err[2]);
    }
}
