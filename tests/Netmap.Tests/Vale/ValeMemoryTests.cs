using Netmap.Abi;
using Netmap.Api;
using static Netmap.Tests.Vale.ValeFrames;

namespace Netmap.Tests.Vale;

/// <summary>
/// VALE memory (spec 1.5 and 5, memory isolation): every port has its own private region (NI_PRIV_MEM, its own
/// nr_mem_id) unless <c>@N</c> or <c>@share=PORT</c> puts it into an existing one; PORT_INFO_GET and
/// POOLS_INFO_GET describe the region the open port maps.
/// </summary>
public class ValeMemoryTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void EachPort_HasItsOwnPrivateRegion(bool daemon)
    {
        using var h = new ValeTestHost(daemon);
        using var a = NetmapPort.Open("vale0:a", h.Host);
        using var b = NetmapPort.Open("vale0:b", h.Host);
        using var c = NetmapPort.Open("vale1:c", h.Host);
        var ids = new[] { a.MemId, b.MemId, c.MemId };
        Assert.Equal(3, ids.Distinct().Count());
        Assert.DoesNotContain(NetmapConstants.GlobalMemId, ids);
        foreach (var p in new[] { a, b, c })
            Assert.Equal(InterfaceFlags.PrivateMemory, p.Interface.Flags & InterfaceFlags.PrivateMemory);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void AtN_PutsAPortIntoAnExistingRegion(bool daemon)
    {
        using var h = new ValeTestHost(daemon);
        using var a = NetmapPort.Open("vale0:a@conf:slots=128", h.Host);
        long free = h.Engine.FreeBuffers(a.MemId);
        using var b = NetmapPort.Open($"vale0:b@{a.MemId}@conf:slots=128", h.Host);
        Assert.Equal(a.MemId, b.MemId);
        Assert.Equal(a.MemSize, b.MemSize);
        Assert.Equal(InterfaceFlags.PrivateMemory, b.Interface.Flags & InterfaceFlags.PrivateMemory);
        Assert.Equal(free - 2 * 128, h.Engine.FreeBuffers(a.MemId)); // b's rings took their buffers from a's region
        var used = new HashSet<uint>();
        foreach (var r in new[] { a.TxRings[0], a.RxRings[0], b.TxRings[0], b.RxRings[0] })
            for (uint i = 0; i < r.NumSlots; i++) Assert.True(used.Add(r.Slot(i).BufferIndex));

        // Still a switch that copies: frames go both ways.
        var ab = Frame(Broadcast, Mac(0xa), 300, tag: 1);
        var ba = Frame(Broadcast, Mac(0xb), 301, tag: 2);
        Send(a, ab);
        Send(b, ba);
        Assert.Equal(ab, Assert.Single(Receive(b, 1)));
        Assert.Equal(ba, Assert.Single(Receive(a, 1)));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ShareOption_UsesThePortsRegion(bool daemon)
    {
        using var h = new ValeTestHost(daemon);
        using var a = NetmapPort.Open("vale0:a@conf:slots=128", h.Host);
        using var b = NetmapPort.Open("vale0:b@share=vale0:a@conf:slots=128", h.Host);
        using var c = NetmapPort.Open("vale1:c@share=vale0:a@conf:slots=128", h.Host); // another switch, same region
        Assert.Equal(a.MemId, b.MemId);
        Assert.Equal(a.MemId, c.MemId);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void AtN_OfAMissingRegion_IsRefused(bool daemon)
    {
        using var h = new ValeTestHost(daemon);
        var e = Assert.Throws<NetmapException>(() => NetmapPort.Open("vale0:a@999", h.Host));
        Assert.Equal(Errno.EINVAL, e.Errno);
        Assert.Equal((0, 0), (h.Engine.ValeSwitchCount, h.Engine.ValePortCount));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void PortInfoAndPoolsInfo_AgreeWithTheOpenPort(bool daemon)
    {
        using var h = new ValeTestHost(daemon);
        using var p = NetmapPort.Open("vale0:p@conf:tx-rings=2,rx-rings=3,tx-slots=256,rx-slots=512", h.Host);
        var info = NetmapControl.PortInfo("vale0:p", host: h.Host);
        Assert.Equal(p.MemId, info.MemId);
        Assert.Equal((ulong)p.MemSize, info.MemSize);
        Assert.Equal((p.TxSlots, p.RxSlots), (info.TxSlots, info.RxSlots));
        Assert.Equal((2, 3), (info.TxRings, info.RxRings));
        Assert.Equal((0, 0), (info.HostTxRings, info.HostRxRings)); // VALE ports have no host rings
        Assert.Equal(info.MemSize, NetmapPort.PortInfo("vale0:p", h.Host).MemSize); // the spec-parsing variant

        var pools = NetmapControl.PoolsInfo("vale0:p", h.Host);
        var l = p.Layout;
        Assert.Equal(p.MemId, pools.MemId);
        Assert.Equal((ulong)p.MemSize, pools.MemSize);
        Assert.Equal(0UL, pools.IfPoolOffset);
        Assert.Equal((l.IfObjTotal, l.IfObjSize), (pools.IfPoolObjTotal, pools.IfPoolObjSize));
        Assert.Equal((ulong)pools.IfPoolObjTotal * pools.IfPoolObjSize, pools.RingPoolOffset);
        Assert.Equal((l.RingObjTotal, l.RingObjSize), (pools.RingPoolObjTotal, pools.RingPoolObjSize));
        Assert.Equal(pools.RingPoolOffset + (ulong)pools.RingPoolObjTotal * pools.RingPoolObjSize, pools.BufPoolOffset);
        Assert.Equal((ulong)l.BufPoolOffset, pools.BufPoolOffset);
        Assert.Equal(p.RxRings[0].BufferSize, pools.BufPoolObjSize);
        Assert.Equal(p.RxRings[0].BufferCount, pools.BufPoolObjTotal);
        Assert.True(pools.BufPoolOffset + (ulong)pools.BufPoolObjTotal * pools.BufPoolObjSize <= pools.MemSize);
        // The rings' buffers and the netmap_if are where the pools say.
        Assert.InRange((ulong)p.Interface.Offset, pools.IfPoolOffset, pools.RingPoolOffset - 1);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void DefaultPortRegion_IsSizedLikeNetmaps(bool daemon)
    {
        // Spec 1.5: netmap_mem_private_new(txr + 1, txd, rxr + 1, rxd, extra, npipes = 2) for a VALE port:
        // if 1024 x 12, ring 20480 x 20, buf 2048 x 20482, nr_memsize 42,369,024 — room for a few more ports
        // (@N, @share=) and pipes in the same region.
        using var h = new ValeTestHost(daemon);
        using var p = NetmapPort.Open("vale0:p", h.Host);
        var pools = NetmapControl.PoolsInfo("vale0:p", h.Host);
        Assert.Equal((12u, 1024u), (pools.IfPoolObjTotal, pools.IfPoolObjSize));
        Assert.Equal((20u, 20480u), (pools.RingPoolObjTotal, pools.RingPoolObjSize));
        Assert.Equal((20482u, 2048u), (pools.BufPoolObjTotal, pools.BufPoolObjSize));
        Assert.Equal(42_369_024L, p.MemSize);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void FreshRegion_RxRingsComeFirst_AsInNetmap(bool daemon)
    {
        // Spec 1.5: the kernel creates the RX rings first, so on a fresh private region RX ring 0 holds buffers
        // 2..n+1 and TX ring 0 the next n; the netmap_if is at offset 0.
        using var h = new ValeTestHost(daemon);
        using var p = NetmapPort.Open("vale0:p", h.Host);
        Assert.Equal(0L, p.Interface.Offset);
        Assert.True(p.Interface.RingOffset(2) < p.Interface.RingOffset(0), "RX ring 0 should precede TX ring 0");
        Assert.Equal(2u, p.RxRings[0].Slot(0).BufferIndex);
        Assert.Equal(2u + 1024, p.TxRings[0].Slot(0).BufferIndex);
    }
}
