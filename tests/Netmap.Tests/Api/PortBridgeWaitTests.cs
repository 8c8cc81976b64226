using System.Diagnostics;
using Netmap.Api;

namespace Netmap.Tests.Api;

/// <summary>
/// PortBridge.Wait and Run: sleep on the ports' descriptors until frames arrive, or, for a direction stuck on a
/// full TX ring, until that ring has room again; Run forwards until told to stop.
/// </summary>
public sealed class PortBridgeWaitTests
{
    [Fact(Timeout = 10_000)]
    public async Task Wait_WhenIdle_TimesOut()
    {
        await Task.Yield();
        using var rig = PortBridgeRig.Pipes("wi", "wi");
        var bridge = new PortBridge(rig.PortA, rig.PortB);
        Assert.Equal(0, bridge.Forward());
        var sw = Stopwatch.StartNew();
        Assert.False(bridge.Wait(100));
        Assert.True(sw.ElapsedMilliseconds >= 90, $"returned after {sw.ElapsedMilliseconds} ms");
    }

    [Fact(Timeout = 10_000)]
    public async Task Wait_WithFramesWaiting_ReturnsAtOnce()
    {
        await Task.Yield();
        using var rig = PortBridgeRig.Pipes("wr", "wr");
        var bridge = new PortBridge(rig.PortA, rig.PortB);
        PortBridgeRig.Send(rig.EndB, [PortBridgeRig.Frame(60, 1)]);
        var sw = Stopwatch.StartNew();
        Assert.True(bridge.Wait(5000));
        Assert.True(sw.ElapsedMilliseconds < 1000);
        Assert.Equal(1, bridge.Forward());
    }

    [Fact(Timeout = 10_000)]
    public async Task Wait_WakesWhenAFrameArrives()
    {
        using var rig = PortBridgeRig.Pipes("ww", "ww");
        var bridge = new PortBridge(rig.PortA, rig.PortB);
        Assert.Equal(0, bridge.Forward());
        var sender = Task.Run(async () =>
        {
            await Task.Delay(150);
            PortBridgeRig.Send(rig.EndB, [PortBridgeRig.Frame(60, 2)]);
        });
        var sw = Stopwatch.StartNew();
        Assert.True(bridge.Wait(5000));
        Assert.True(sw.ElapsedMilliseconds < 4000, $"woke after {sw.ElapsedMilliseconds} ms");
        await sender;
        Assert.Equal(1, bridge.Forward());
        Assert.Single(PortBridgeRig.Drain(rig.EndA));
    }

    [Fact(Timeout = 10_000)]
    public async Task Wait_StalledOnAFullTxRing_SleepsUntilTheReceiverMakesRoom()
    {
        using var rig = PortBridgeRig.Pipes("wf", "wf2", confB: "@conf:slots=8");
        var bridge = new PortBridge(rig.PortA, rig.PortB);
        PortBridgeRig.Send(rig.EndA, Enumerable.Range(0, 20).Select(i => PortBridgeRig.Frame(60, i)));
        Assert.Equal(7, bridge.Forward());
        Assert.Equal(0, bridge.Forward());
        // More frames for the stalled direction do not wake it: they could not move anyway.
        PortBridgeRig.Send(rig.EndA, [PortBridgeRig.Frame(60, 99)]);
        Assert.False(bridge.Wait(150));

        var reader = Task.Run(async () =>
        {
            await Task.Delay(150);
            return PortBridgeRig.Drain(rig.EndB).Count;
        });
        var sw = Stopwatch.StartNew();
        Assert.True(bridge.Wait(5000));
        Assert.True(sw.ElapsedMilliseconds < 4000, $"woke after {sw.ElapsedMilliseconds} ms");
        Assert.Equal(7, await reader);
        Assert.Equal(7, bridge.Forward());
    }

    [Fact(Timeout = 20_000)]
    public async Task Run_ForwardsBothWays_UntilStopped()
    {
        using var rig = PortBridgeRig.Pipes("wn", "wn");
        var bridge = new PortBridge(rig.PortA, rig.PortB, burst: 64);
        bool stop = false;
        var loop = Task.Factory.StartNew(() => bridge.Run(() => !Volatile.Read(ref stop), TimeSpan.FromMicroseconds(50)),
            TaskCreationOptions.LongRunning);

        const int Count = 3000;
        int sentA = 0, sentB = 0, gotA = 0, gotB = 0;
        var sw = Stopwatch.StartNew();
        while ((gotA < Count || gotB < Count) && sw.ElapsedMilliseconds < 10_000)
        {
            for (int i = 0; i < 50 && sentA < Count && rig.EndA.Inject(PortBridgeRig.Frame(60, sentA)); i++) sentA++;
            for (int i = 0; i < 50 && sentB < Count && rig.EndB.Inject(PortBridgeRig.Frame(60, sentB)); i++) sentB++;
            rig.EndA.TxSync();
            rig.EndB.TxSync();
            gotA += PortBridgeRig.Drain(rig.EndA).Count;
            gotB += PortBridgeRig.Drain(rig.EndB).Count;
            if (sentA == Count && sentB == Count) rig.EndA.Poll(PollEvents.In, 10);
        }
        Volatile.Write(ref stop, true);
        Assert.True(loop.Wait(2000), "Run did not return within 2 s of the stop");
        await loop;
        Assert.Equal(Count, gotA);
        Assert.Equal(Count, gotB);
        Assert.Equal(Count, bridge.AToB);
        Assert.Equal(Count, bridge.BToA);
    }

    [Fact(Timeout = 10_000)]
    public async Task Run_WhenIdle_ChecksKeepGoingAtLeastEvery100ms()
    {
        using var rig = PortBridgeRig.Pipes("wk", "wk");
        var bridge = new PortBridge(rig.PortA, rig.PortB);
        var sw = Stopwatch.StartNew();
        var loop = Task.Factory.StartNew(() => bridge.Run(() => sw.ElapsedMilliseconds < 300, TimeSpan.Zero), TaskCreationOptions.LongRunning);
        Assert.True(loop.Wait(3000));
        await loop;
        Assert.InRange(sw.ElapsedMilliseconds, 300, 1500);
    }
}
