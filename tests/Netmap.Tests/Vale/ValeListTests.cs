using Netmap.Abi;
using Netmap.Api;

namespace Netmap.Tests.Vale;

/// <summary>
/// NETMAP_REQ_VALE_LIST (spec 5) in both forms: with a name (switch and port index, 255 when the port is not on
/// the switch, ENOENT without the switch) and the empty-name iteration behind <see cref="NetmapControl.ValeListAll"/>.
/// </summary>
public class ValeListTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ListByName_GivesSwitchAndPortIndex(bool daemon)
    {
        using var h = new ValeTestHost(daemon);
        using var a = NetmapPort.Open("vale0:a", h.Host);
        using var b = NetmapPort.Open("vale0:b", h.Host);
        using var c = NetmapPort.Open("vale1:c", h.Host);
        Assert.Equal(((ushort)0, 0u), NetmapControl.ValeList("vale0:a", h.Host));
        Assert.Equal(((ushort)0, 1u), NetmapControl.ValeList("vale0:b", h.Host));
        Assert.Equal(((ushort)1, 0u), NetmapControl.ValeList("vale1:c", h.Host));
        Assert.Equal(((ushort)0, 255u), NetmapControl.ValeList("vale0:nosuch", h.Host));
        Assert.Equal(((ushort)1, 255u), NetmapControl.ValeList("vale1:a", h.Host)); // a exists, on another switch
        var e = Assert.Throws<NetmapException>(() => NetmapControl.ValeList("vale7:a", h.Host));
        Assert.Equal(Errno.ENOENT, e.Errno);
        Assert.StartsWith("vale7:a: NIOCCTRL VALE_LIST: ENOENT", e.Message);
        Assert.Equal(2, h.Engine.ValeSwitchCount); // listing creates nothing
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ListAll_EnumeratesEveryPortOfEverySwitch_WithFullNames(bool daemon)
    {
        using var h = new ValeTestHost(daemon);
        Assert.Empty(NetmapControl.ValeListAll(h.Host));
        using var a = NetmapPort.Open("vale0:a", h.Host);
        var gone = NetmapPort.Open("vale0:gone", h.Host);
        using var b = NetmapPort.Open("vale0:b", h.Host);
        using var c = NetmapPort.Open("vale_2:c", h.Host);
        NetmapControl.NewInterface("pers", host: h.Host);
        NetmapControl.NewInterface("loose", host: h.Host); // not attached: not on any switch, not listed
        NetmapControl.ValeAttach("vale_2:pers", host: h.Host);
        using var d = NetmapPort.Open("vale9:d", h.Host);
        gone.Dispose(); // leaves a hole at vale0 port 1

        var all = NetmapControl.ValeListAll(h.Host).ToList();
        Assert.Equal(
            [new("vale0:a", 0, 0), new("vale0:b", 0, 2), new("vale_2:c", 1, 0), new("vale_2:pers", 1, 1), new ValePortListing("vale9:d", 2, 0)],
            all);
        foreach (var l in all) Assert.Equal((l.BridgeIndex, l.PortIndex), NetmapControl.ValeList(l.Name, h.Host));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ListAll_SkipsEmptiedSwitchSlots(bool daemon)
    {
        using var h = new ValeTestHost(daemon);
        var x = NetmapPort.Open("vale0:x", h.Host);
        using var y = NetmapPort.Open("vale1:y", h.Host);
        x.Dispose(); // switch vale0 (index 0) is gone
        Assert.Equal([new ValePortListing("vale1:y", 1, 0)], NetmapControl.ValeListAll(h.Host).ToList());
    }
}
