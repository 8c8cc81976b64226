using Netmap.Abi;
using Netmap.Api;

namespace Netmap.Tests.Vale;

/// <summary>
/// PORT_INFO_GET and POOLS_INFO_GET (spec 2.2) for the VALE cases not covered by <see cref="ValeMemoryTests"/>:
/// the allocator form (empty name, nr_mem_id of a VALE port's region) and persistent ports by either name.
/// </summary>
public class ValeInfoTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void PortInfo_WithAnEmptyName_DescribesTheRegionOfAValePort(bool daemon)
    {
        using var h = new ValeTestHost(daemon);
        using var p = NetmapPort.Open("vale0:p", h.Host);
        var info = NetmapControl.PortInfo("", p.MemId, h.Host);
        Assert.Equal(p.MemId, info.MemId);
        Assert.Equal((ulong)p.MemSize, info.MemSize);
        Assert.Equal(0u, info.TxSlots); // the allocator form says nothing about rings
        Assert.Equal(Errno.EINVAL, Assert.Throws<NetmapException>(() => NetmapControl.PoolsInfo("", h.Host)).Errno);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void PersistentPort_InfoByInterfaceName_AndBySwitchNameOnceAttached(bool daemon)
    {
        using var h = new ValeTestHost(daemon);
        var cfg = NetmapControl.NewInterface("ipp", new NmReqValeNewInterface { TxSlots = 256, RxSlots = 512, TxRings = 2 }, h.Host);
        var byName = NetmapControl.PortInfo("ipp", host: h.Host);
        Assert.Equal((cfg.MemId, 256u, 512u, (ushort)2, (ushort)1), (byName.MemId, byName.TxSlots, byName.RxSlots, byName.TxRings, byName.RxRings));
        Assert.Equal(cfg.MemId, NetmapControl.PoolsInfo("ipp", h.Host).MemId);
        var e = Assert.Throws<NetmapException>(() => NetmapControl.PortInfo("vale0:ipp", host: h.Host));
        Assert.Equal(Errno.EINVAL, e.Errno); // not attached to vale0
        NetmapControl.ValeAttach("vale0:ipp", host: h.Host);
        Assert.Equal(byName.MemSize, NetmapControl.PortInfo("vale0:ipp", host: h.Host).MemSize);
        Assert.Equal(1, h.Engine.ValePortCount);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void PortInfo_OnAnOpenPort_DoesNotDisturbIt(bool daemon)
    {
        using var h = new ValeTestHost(daemon);
        using var a = NetmapPort.Open("vale0:a", h.Host);
        using var b = NetmapPort.Open("vale0:b", h.Host);
        ValeFrames.Send(a, ValeFrames.Frame(ValeFrames.Broadcast, ValeFrames.Mac(0xa)));
        for (int i = 0; i < 3; i++) NetmapControl.PortInfo("vale0:b", host: h.Host);
        Assert.Single(ValeFrames.Receive(b, 1)); // still there: the info request did not reset b's rings
        Assert.Equal(2, h.Engine.ValePortCount);
    }
}
