using Netmap.Abi;
using Netmap.Engine;

namespace Netmap.Tests.Engine;

/// <summary>PORT_INFO_GET and POOLS_INFO_GET (spec 2.2).</summary>
public sealed class InfoRequestTests : IDisposable
{
    private readonly NetmapEngine _engine = new();
    private readonly EngineClient _c;

    public InfoRequestTests() => _c = new EngineClient(_engine);

    public void Dispose()
    {
        _c.Dispose();
        _engine.Dispose();
    }

    private (Errno, NmReqPortInfoGet) PortInfo(string name, ushort memId = 0)
    {
        var req = EngineClient.Request(RequestType.PortInfoGet, name, NmReqPortInfoGet.Size);
        req.Body<NmReqPortInfoGet>().MemId = memId;
        var err = _c.Send(req);
        return (err, req.Body<NmReqPortInfoGet>());
    }

    private (Errno, NmReqPoolsInfo) PoolsInfo(string name)
    {
        var req = EngineClient.Request(RequestType.PoolsInfoGet, name, NmReqPoolsInfo.Size);
        var err = _c.Send(req);
        return (err, req.Body<NmReqPoolsInfo>());
    }

    [Fact]
    public void PortInfo_WithEmptyName_DescribesTheGlobalAllocator()
    {
        var (err, info) = PortInfo("");
        Assert.Equal(Errno.None, err);
        Assert.Equal(1, info.MemId);
        Assert.Equal(343_019_520UL, info.MemSize);
        Assert.Null(_engine.Allocators.GlobalIfCreated); // described from its parameters, not made (343 MB)
        Assert.Equal(0, _engine.Allocators.Quota.UsedTotal(Netmap.Memory.ResourceKind.Memory));
    }

    [Fact]
    public void PortInfo_WithEmptyNameAndAMemId_DescribesThatAllocator_OrFailsEinval()
    {
        using var p = new EngineClient(_engine);
        Assert.Equal(Errno.None, p.Register("pi{0"));
        var (err, info) = PortInfo("", p.Written.MemId);
        Assert.Equal(Errno.None, err);
        Assert.Equal(p.Written.MemId, info.MemId);
        Assert.Equal(42_369_024UL, info.MemSize);

        Assert.Equal(Errno.EINVAL, PortInfo("", 4321).Item1);
    }

    [Fact]
    public void PortInfo_OfAnOpenPipe_GivesItsParentsRegionAndCounts_SwappedForTheSlave()
    {
        using var m = new EngineClient(_engine);
        Assert.Equal(Errno.None, m.Register("pi{1", new NmReqRegister { Mode = RegisterMode.AllNic, TxRings = 3, RxRings = 2, TxSlots = 512, RxSlots = 256 }));

        var (err, info) = PortInfo("pi{1");
        Assert.Equal(Errno.None, err);
        Assert.Equal(m.Written.MemId, info.MemId);
        Assert.Equal(m.Written.MemSize, info.MemSize);
        Assert.Equal((3, 2, 512u, 256u), ((int)info.TxRings, (int)info.RxRings, info.TxSlots, info.RxSlots));
        Assert.Equal((0, 0), ((int)info.HostTxRings, (int)info.HostRxRings));

        var (err2, slave) = PortInfo("pi}1");
        Assert.Equal(Errno.None, err2);
        Assert.Equal(m.Written.MemId, slave.MemId);
        Assert.Equal((2, 3, 256u, 512u), ((int)slave.TxRings, (int)slave.RxRings, slave.TxSlots, slave.RxSlots));

        Assert.Equal(1, _engine.PipeCount);
    }

    [Fact]
    public void PortInfo_OfAPipeNobodyOpened_AnswersAndLeavesNothingBehind()
    {
        var (err, info) = PortInfo("ghost{1");
        Assert.Equal(Errno.None, err);
        Assert.Equal((1, 1, 1024u), ((int)info.TxRings, (int)info.RxRings, info.TxSlots));
        Assert.Equal(0, _engine.PipeCount);
        Assert.Equal(-1, _engine.FreeBuffers(info.MemId)); // the region made for the answer is gone again
    }

    [Fact]
    public void PortInfo_OfAnUnknownInterface_FailsEnxio() => Assert.Equal(Errno.ENXIO, PortInfo("eth99").Item1);

    [Fact]
    public void PoolsInfo_WithEmptyName_FailsEinval()
    {
        var req = EngineClient.Request(RequestType.PoolsInfoGet, "", NmReqPoolsInfo.Size);
        req.Body<NmReqPoolsInfo>().MemSize = 0xabc;
        Assert.Equal(Errno.EINVAL, _c.Send(req));
        Assert.Equal(0xabcUL, req.Body<NmReqPoolsInfo>().MemSize); // not written back
    }

    [Fact]
    public void PoolsInfo_OfAPipe_GivesThePoolsBackToBack()
    {
        using var m = new EngineClient(_engine);
        Assert.Equal(Errno.None, m.Register("po{1"));

        var (err, p) = PoolsInfo("po{1");

        Assert.Equal(Errno.None, err);
        Assert.Equal(m.Written.MemId, p.MemId);
        Assert.Equal(42_369_024UL, p.MemSize);
        Assert.Equal((0UL, 12u, 1024u), (p.IfPoolOffset, p.IfPoolObjTotal, p.IfPoolObjSize));
        Assert.Equal((12_288UL, 20u, 20_480u), (p.RingPoolOffset, p.RingPoolObjTotal, p.RingPoolObjSize));
        Assert.Equal((12_288UL + 409_600UL, 20_482u, 2048u), (p.BufPoolOffset, p.BufPoolObjTotal, p.BufPoolObjSize));
        Assert.Equal(p.IfPoolOffset + (ulong)p.IfPoolObjTotal * p.IfPoolObjSize, p.RingPoolOffset);
        Assert.Equal(p.RingPoolOffset + (ulong)p.RingPoolObjTotal * p.RingPoolObjSize, p.BufPoolOffset);
    }

    [Fact]
    public void PoolsInfo_OfAnUnknownInterface_FailsEnxio() => Assert.Equal(Errno.ENXIO, PoolsInfo("eth99").Item1);
}
