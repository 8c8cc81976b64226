using Netmap.Abi;
using Netmap.Engine;

namespace Netmap.Tests.Engine;

/// <summary>A pipe lives in its parent's allocator: a persistent VALE port made by VALE_NEWIF (in a given mem_id, as
/// netmap's lb makes the parent of its output pipes in its input's region) is the parent of "name{N".</summary>
public sealed class PipeOnPersistentPortTests : IDisposable
{
    private readonly NetmapEngine _engine = new();

    public void Dispose() => _engine.Dispose();

    [Fact]
    public void PipesOfAPersistentPort_UseItsRegion_SoBuffersCanBeSwappedWithTheRegionsOtherPorts()
    {
        using var input = new EngineClient(_engine);
        Assert.Equal(Errno.None, input.Register("lbin{1"));
        ushort memId = input.Written.MemId;

        using var ctl = new EngineClient(_engine);
        var newif = EngineClient.Request(RequestType.ValeNewInterface, "lbout", NmReqValeNewInterface.Size);
        newif.Body<NmReqValeNewInterface>().MemId = memId;
        Assert.Equal(Errno.None, ctl.Send(newif));

        using var master = new EngineClient(_engine);
        using var slave = new EngineClient(_engine);
        Assert.Equal(Errno.None, master.Register("lbout{0", flags: RegisterFlags.Exclusive | RegisterFlags.TxRingsOnly));
        Assert.Equal(Errno.None, slave.Register("lbout}0"));
        Assert.Equal(memId, master.Written.MemId);
        Assert.Equal(memId, slave.Written.MemId);
    }
}
