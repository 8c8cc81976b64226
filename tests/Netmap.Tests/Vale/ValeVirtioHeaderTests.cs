using Netmap.Abi;
using Netmap.Api;
using static Netmap.Tests.Vale.ValeFrames;

namespace Netmap.Tests.Vale;

/// <summary>
/// virtio-net header lengths of VALE ports (spec 2.2 PORT_HDR_SET/GET, spec 5 forwarding): 0, 10 or 12 bytes in
/// front of every packet; between ports of different lengths the switch strips the sender's header and puts a
/// zeroed one of the receiver's length; the lookup reads the frame after the header.
/// </summary>
public class ValeVirtioHeaderTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void HeaderSet_Accepts0_10_12_Only_OnValePorts(bool daemon)
    {
        using var h = new ValeTestHost(daemon);
        using var a = NetmapPort.Open("vale0:a", h.Host);
        using var pipe = NetmapPort.Open("netmap:hp{1", h.Host);
        Assert.Equal(0u, NetmapControl.PortHeaderGet("vale0:a", h.Host));
        foreach (uint len in new uint[] { 10, 12, 0, 12 })
        {
            NetmapControl.PortHeaderSet("vale0:a", len, h.Host);
            Assert.Equal(len, NetmapControl.PortHeaderGet("vale0:a", h.Host));
        }
        foreach (uint bad in new uint[] { 1, 8, 11, 14, 16, uint.MaxValue })
        {
            var e = Assert.Throws<NetmapException>(() => NetmapControl.PortHeaderSet("vale0:a", bad, h.Host));
            Assert.Equal(Errno.EINVAL, e.Errno);
            Assert.StartsWith("vale0:a: NIOCCTRL PORT_HDR_SET: EINVAL", e.Message);
        }
        Assert.Equal(12u, NetmapControl.PortHeaderGet("vale0:a", h.Host)); // unchanged by the refusals

        var notVale = Assert.Throws<NetmapException>(() => NetmapControl.PortHeaderSet("hp{1", 10, h.Host));
        Assert.Equal(Errno.EINVAL, notVale.Errno);
        Assert.StartsWith("hp{1: ", notVale.Message);
        Assert.Equal(Errno.EINVAL, Assert.Throws<NetmapException>(() => NetmapControl.PortHeaderSet("eth0", 10, h.Host)).Errno);
        Assert.Equal(0u, NetmapControl.PortHeaderGet("hp{1", h.Host)); // GET works on any port
        var missing = Assert.Throws<NetmapException>(() => NetmapControl.PortHeaderSet("vale0:nosuch", 10, h.Host));
        Assert.Equal(Errno.ENXIO, missing.Errno);
        Assert.StartsWith("vale0:nosuch: ", missing.Message);
    }

    [Theory]
    [InlineData(false, 10, 0)]
    [InlineData(true, 10, 0)]
    [InlineData(false, 0, 12)]
    [InlineData(true, 0, 12)]
    [InlineData(false, 12, 10)]
    [InlineData(true, 10, 12)]
    [InlineData(false, 10, 10)]
    [InlineData(true, 12, 12)]
    public void Forwarding_ConvertsTheHeader(bool daemon, int srcHdr, int dstHdr)
    {
        using var h = new ValeTestHost(daemon);
        using var a = NetmapPort.Open("vale0:a", h.Host);
        using var b = NetmapPort.Open("vale0:b", h.Host);
        using var c = NetmapPort.Open("vale0:c", h.Host);
        NetmapControl.PortHeaderSet("vale0:a", (uint)srcHdr, h.Host);
        NetmapControl.PortHeaderSet("vale0:b", (uint)dstHdr, h.Host);
        NetmapControl.PortHeaderSet("vale0:c", (uint)dstHdr, h.Host);
        // b and c announce themselves (c's header starts with bytes that read as c's address, in case the lookup
        // looked at the header instead of the frame behind it).
        var hdrB = new byte[dstHdr];
        Send(b, [.. hdrB, .. Frame(Broadcast, Mac(0xb))]);
        var hdrC = new byte[dstHdr];
        Send(c, [.. hdrC, .. Frame(Broadcast, Mac(0xc))]);

        var header = new byte[srcHdr];
        for (int i = 0; i < srcHdr; i++) header[i] = (byte)(0xa0 + i);
        if (srcHdr >= 6) WriteMac(header, Mac(0xc));
        var eth = Frame(Mac(0xb), Mac(0xa), 120, tag: 5);
        Send(a, [.. header, .. eth]);
        Send(a, [.. header, .. Frame(Broadcast, Mac(0xa), 60, MarkerType)]);

        var got = Receive(b, 3); // c's announcement, the unicast, the marker
        Assert.Equal(3, got.Count);
        byte[] expected = srcHdr == dstHdr ? [.. header, .. eth] : [.. new byte[dstHdr], .. eth];
        Assert.Equal(expected, got[1]);
        Assert.Equal(MarkerType, TypeOf(got[2].AsSpan(dstHdr)));
        var atC = Receive(c, 2);
        Assert.Equal(2, atC.Count);
        Assert.Equal(Mac(0xb), ReadMac(atC[0].AsSpan(dstHdr + 6))); // b's announcement
        Assert.Equal(MarkerType, TypeOf(atC[1].AsSpan(dstHdr))); // the unicast to b did not come here
        Assert.Equal((ulong)expected.Length, Stats(h, "vale0:b").RxBytes - (ulong)got[0].Length - (ulong)got[2].Length);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void RuntRule_CountsTheFrameAfterTheHeader(bool daemon)
    {
        using var h = new ValeTestHost(daemon);
        using var a = NetmapPort.Open("vale0:a", h.Host);
        using var b = NetmapPort.Open("vale0:b", h.Host);
        NetmapControl.PortHeaderSet("vale0:a", 10, h.Host);
        Send(a, [.. new byte[10], .. Frame(Broadcast, Mac(0xa), 13)]); // 23 bytes: a 13-byte frame
        var ok = Frame(Broadcast, Mac(0xa), 14);
        Send(a, [.. new byte[10], .. ok]);
        Assert.Equal(ok, Assert.Single(Receive(b, 1)));
        Assert.Equal(1UL, Stats(h, "vale0:a").TxDrops);
    }
}
