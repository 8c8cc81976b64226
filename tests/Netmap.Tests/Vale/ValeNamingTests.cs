using Netmap.Abi;
using Netmap.Api;

namespace Netmap.Tests.Vale;

/// <summary>
/// VALE names and limits (spec 5, naming/limits): switch names [A-Za-z0-9_] with the ':' in the first 16
/// characters, port names of at most 15 characters, 8 switches, 252 ports per switch, ring and slot clamping.
/// Bad names are refused twice over: by the port-name parser (NetmapPort.Open) and by the engine (a request sent
/// with the name as is, as vale-ctl does); both errors name the port.
/// </summary>
public class ValeNamingTests
{
    private static void AssertRefusedByParser(string spec, ValeTestHost h)
    {
        var e = Assert.Throws<NetmapException>(() => NetmapPort.Open(spec, h.Host));
        Assert.Equal(Errno.EINVAL, e.Errno);
        Assert.StartsWith(spec + ":", e.Message);
    }

    private static void AssertRefusedByEngine(string name, ValeTestHost h, string cause)
    {
        var e = Assert.Throws<NetmapException>(() => NetmapControl.PortInfo(name, host: h.Host));
        Assert.Equal(Errno.EINVAL, e.Errno);
        Assert.StartsWith($"{name}: NIOCCTRL PORT_INFO_GET: EINVAL", e.Message);
        Assert.Contains(cause, e.Message);
        Assert.Equal(0, h.Engine.ValeSwitchCount);
    }

    [Theory]
    [InlineData(false, "vale-x:a")]
    [InlineData(true, "vale-x:a")]
    [InlineData(false, "vale.x:a")]
    [InlineData(false, "vale x:a")]
    [InlineData(true, "valeé:a")]
    public void SwitchNameWithOtherCharacters_IsRefused(bool daemon, string name)
    {
        using var h = new ValeTestHost(daemon);
        AssertRefusedByParser(name, h);
        AssertRefusedByEngine(name, h, "switch name");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void SwitchNameOfLettersDigitsAndUnderscore_IsAccepted(bool daemon)
    {
        using var h = new ValeTestHost(daemon);
        using var p = NetmapPort.Open("vale_Sw9:a", h.Host);
        using var q = NetmapPort.Open("vale:b", h.Host); // the bare prefix is a switch name too
        Assert.Equal(2, h.Engine.ValeSwitchCount);
        Assert.Equal(["vale_Sw9:a", "vale:b"], NetmapControl.ValeListAll(h.Host).Select(l => l.Name));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ColonMustBeWithinTheFirst16Characters(bool daemon)
    {
        using var h = new ValeTestHost(daemon);
        string ok = "vale56789012345:a"; // ':' at index 15
        using (var p = NetmapPort.Open(ok, h.Host))
            Assert.Equal(ok, NetmapControl.ValeListAll(h.Host).Single().Name);
        string bad = "vale567890123456:a"; // ':' at index 16
        AssertRefusedByParser(bad, h);
        AssertRefusedByEngine(bad, h, "switch name longer");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void PortNameOfAtMost15Characters(bool daemon)
    {
        using var h = new ValeTestHost(daemon);
        string ok = "vale0:" + new string('p', 15);
        using var p = NetmapPort.Open(ok, h.Host);
        Assert.Equal(ok[..15], p.Interface.Name); // ni_name holds 15 characters
        string bad = "vale0:" + new string('p', 16);
        AssertRefusedByParser(bad, h);
        var e = Assert.Throws<NetmapException>(() => NetmapControl.PortInfo(bad, host: h.Host));
        Assert.Equal(Errno.EINVAL, e.Errno);
        Assert.StartsWith(bad + ": ", e.Message);
        Assert.Equal(1, h.Engine.ValePortCount);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void EmptyPortName_IsRefused(bool daemon)
    {
        using var h = new ValeTestHost(daemon);
        AssertRefusedByParser("vale0:", h);
        AssertRefusedByEngine("vale0:", h, "empty port name");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void EightSwitchesAtMost_AndAFreedSlotIsReused(bool daemon)
    {
        using var h = new ValeTestHost(daemon);
        var ports = Enumerable.Range(0, 8).Select(i => NetmapPort.Open($"vale{i}:a", h.Host)).ToList();
        try
        {
            Assert.Equal(8, h.Engine.ValeSwitchCount);
            var e = Assert.Throws<NetmapException>(() => NetmapPort.Open("vale8:a", h.Host));
            Assert.Equal(Errno.ENOMEM, e.Errno);
            Assert.StartsWith("vale8:a: ", e.Message);
            Assert.Equal(8, h.Engine.ValePortCount);

            ushort freed = NetmapControl.ValeList("vale3:a", h.Host).BridgeIndex;
            ports[3].Dispose();
            Assert.Equal(7, h.Engine.ValeSwitchCount);
            ports[3] = NetmapPort.Open("vale8:a", h.Host);
            Assert.Equal(8, h.Engine.ValeSwitchCount);
            Assert.Equal(freed, NetmapControl.ValeList("vale8:a", h.Host).BridgeIndex);
            Assert.Equal(Errno.ENOENT, Assert.Throws<NetmapException>(() => NetmapControl.ValeList("vale3:a", h.Host)).Errno);
        }
        finally
        {
            foreach (var p in ports) p.Dispose();
        }
        Assert.Equal(0, h.Engine.ValeSwitchCount);
    }

    [Fact]
    public void A252PortsPerSwitch_The253rdIsRefused()
    {
        using var h = new ValeTestHost(false);
        var ports = new List<NetmapPort>();
        try
        {
            for (int i = 0; i < 252; i++) ports.Add(NetmapPort.Open($"vale0:p{i}@conf:slots=2", h.Host));
            Assert.Equal(251u, NetmapControl.ValeList("vale0:p251", h.Host).PortIndex);
            var e = Assert.Throws<NetmapException>(() => NetmapPort.Open("vale0:p252@conf:slots=2", h.Host));
            Assert.Equal(Errno.ENOMEM, e.Errno);
            Assert.StartsWith("vale0:p252@conf:slots=2: ", e.Message);
            Assert.Equal(252, h.Engine.ValePortCount);
            // Another switch is not affected, and a port leaving makes room (its index is reused).
            using (NetmapPort.Open("vale1:p0@conf:slots=2", h.Host)) { }
            ports[17].Dispose();
            ports[17] = NetmapPort.Open("vale0:p252@conf:slots=2", h.Host);
            Assert.Equal(17u, NetmapControl.ValeList("vale0:p252", h.Host).PortIndex);
        }
        finally
        {
            foreach (var p in ports) p.Dispose();
        }
        Assert.Equal(0, h.Engine.ValePortCount);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void RingsAndSlots_DefaultAndClamp(bool daemon)
    {
        using var h = new ValeTestHost(daemon);
        using var d = NetmapPort.Open("vale0:d", h.Host);
        Assert.Equal((1u, 1u), (d.Interface.TxRings, d.Interface.RxRings));
        Assert.Equal((1024u, 1024u), (d.TxSlots, d.RxSlots));
        Assert.Equal(1024u, d.TxRings[0].NumSlots);

        using var many = NetmapPort.Open("vale0:many@conf:rings=20,slots=64", h.Host);
        Assert.Equal((16u, 16u), (many.Interface.TxRings, many.Interface.RxRings));
        Assert.Equal(16, many.TxRings.Count);
        Assert.Equal(16, many.RxRings.Count);
        var info = NetmapControl.PortInfo("vale0:many", host: h.Host);
        Assert.Equal((16, 16, 64u, 64u), (info.TxRings, info.RxRings, info.TxSlots, info.RxSlots));

        using var large = NetmapPort.Open("vale0:large@conf:slots=5000", h.Host);
        Assert.Equal((4096u, 4096u), (large.TxSlots, large.RxSlots));
        Assert.All(large.TxRings.Concat(large.RxRings), r => Assert.Equal(4096u, r.NumSlots));

        using var odd = NetmapPort.Open("vale0:odd@conf:tx-rings=3,rx-rings=5,tx-slots=100,rx-slots=300", h.Host);
        Assert.Equal((3, 5), (odd.TxRings.Count, odd.RxRings.Count));
        Assert.Equal((100u, 300u), (odd.TxSlots, odd.RxSlots));
        Assert.Equal(100u, odd.TxRings[2].NumSlots);
        Assert.Equal(300u, odd.RxRings[4].NumSlots);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ReopeningAPort_ReturnsTheSamePort_AndIgnoresTheNewConfiguration(bool daemon)
    {
        using var h = new ValeTestHost(daemon);
        using var a = NetmapPort.Open("vale0:a@conf:rings=2,slots=256", h.Host);
        using var again = NetmapPort.Open("vale0:a@conf:rings=4,slots=512", h.Host);
        Assert.Equal(a.MemId, again.MemId);
        Assert.Equal((2, 256u), (again.TxRings.Count, again.TxSlots));
        Assert.Equal(1, h.Engine.ValePortCount);
        // The two opens share the rings: what one queues, the other sees as the same ring state.
        Assert.True(a.Inject(ValeFrames.Frame(ValeFrames.Broadcast, ValeFrames.Mac(1))));
        Assert.Equal(a.TxRings[0].Head, again.TxRings[0].Head);
    }
}
