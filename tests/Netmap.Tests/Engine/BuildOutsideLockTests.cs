using Netmap.Abi;
using Netmap.Engine;

namespace Netmap.Tests.Engine;

/// <summary>
/// A REGISTER with many extra buffers threads its list (touching every buffer: up to a GiB of fresh memory) without the
/// engine lock: other clients' requests are served meanwhile, and the list is whole once the REGISTER returns.
/// </summary>
public sealed class BuildOutsideLockTests
{
    [Fact]
    public void AnotherClientsRequests_CompleteWhileABigExtraBufferListIsBeingBuilt()
    {
        using var engine = new NetmapEngine();
        using var building = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        engine.OnBuildingOutsideLock = name =>
        {
            if (name != "valebl:big") return;
            building.Set();
            release.Wait(TimeSpan.FromSeconds(30));
        };
        using var big = new EngineClient(engine);
        var first = Task.Run(() => big.Register("valebl:big", new NmReqRegister { Mode = RegisterMode.AllNic, ExtraBufs = 300_000 }));
        Assert.True(building.Wait(TimeSpan.FromSeconds(30)), "the big registration never reached its build");

        // The first REGISTER is held in its build: every other request must still go through.
        var others = Task.Run(() =>
        {
            using var c = new EngineClient(engine);
            Assert.Equal(Errno.None, c.Register("bl{1"));
            using var v = new EngineClient(engine);
            Assert.Equal(Errno.None, v.Register("valebl:small", new NmReqRegister { Mode = RegisterMode.AllNic, ExtraBufs = 10 }));
            Assert.Equal(10, v.ExtraBufferChain().Count);
            return engine.ValePortCount;
        });
        Assert.True(others.Wait(TimeSpan.FromSeconds(10)), "another client's requests waited for the big build");
        Assert.Equal(2, others.Result);
        Assert.False(first.IsCompleted);

        release.Set();
        Assert.True(first.Wait(TimeSpan.FromSeconds(60)));
        Assert.Equal(Errno.None, first.Result);
        Assert.Equal(300_000u, big.Written.ExtraBufs);
        var chain = big.ExtraBufferChain(400_000);
        Assert.Equal(300_000, chain.Count);
        Assert.Equal(300_000, chain.Distinct().Count());
    }

    [Fact]
    public void DisposingTheEngine_WaitsForABuildInProgress()
    {
        var engine = new NetmapEngine();
        using var building = new ManualResetEventSlim();
        engine.OnBuildingOutsideLock = _ => { building.Set(); Thread.Sleep(300); };
        var c = new EngineClient(engine);
        var reg = Task.Run(() => c.Register("valebl:d", new NmReqRegister { Mode = RegisterMode.AllNic, ExtraBufs = 1000 }));
        Assert.True(building.Wait(TimeSpan.FromSeconds(30)));
        engine.Dispose(); // must not unmap the region under the build
        Assert.True(reg.Wait(TimeSpan.FromSeconds(30)));
        c.Dispose();
    }
}
