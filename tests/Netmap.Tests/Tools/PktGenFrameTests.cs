using System.Buffers.Binary;
using System.Text;
using Netmap.Tools.PktGen;

namespace Netmap.Tests.Tools;

public class PktGenFrameTests
{
    private static byte[] DefaultFrame(int size = 60)
    {
        Assert.True(PktGenOptions.TryParse(["-i", "x", "-f", "tx", "-l", size.ToString()], out var o, out var err), err);
        return FrameBuilder.Build(o);
    }

    private static bool UdpVerifies(byte[] f)
    {
        var ip = f.AsSpan(14, 20);
        var udp = f.AsSpan(34);
        uint sum = FrameBuilder.Sum(ip.Slice(12, 8));
        sum += 17;
        sum += (uint)udp.Length;
        return FrameBuilder.Verifies(udp, sum);
    }

    [Fact]
    public void DefaultFrame_HasNetmapHeaders()
    {
        var f = DefaultFrame();
        Assert.Equal(60, f.Length);
        Assert.Equal(new byte[] { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff }, f[..6]);
        Assert.Equal(new byte[6], f[6..12]);
        Assert.Equal(0x0800, BinaryPrimitives.ReadUInt16BigEndian(f.AsSpan(12)));
        Assert.Equal(0x45, f[14]);
        Assert.Equal(0x10, f[15]);                                              // IPTOS_LOWDELAY
        Assert.Equal(46, BinaryPrimitives.ReadUInt16BigEndian(f.AsSpan(16)));  // total length = 60 - 14
        Assert.Equal(0, BinaryPrimitives.ReadUInt16BigEndian(f.AsSpan(18)));   // id
        Assert.Equal(0x4000, BinaryPrimitives.ReadUInt16BigEndian(f.AsSpan(20))); // DF
        Assert.Equal(64, f[22]);
        Assert.Equal(17, f[23]);
        Assert.Equal(new byte[] { 10, 0, 0, 1 }, f[26..30]);
        Assert.Equal(new byte[] { 10, 1, 0, 1 }, f[30..34]);
        Assert.Equal(1234, BinaryPrimitives.ReadUInt16BigEndian(f.AsSpan(34)));
        Assert.Equal(1234, BinaryPrimitives.ReadUInt16BigEndian(f.AsSpan(36)));
        Assert.Equal(26, BinaryPrimitives.ReadUInt16BigEndian(f.AsSpan(38)));  // UDP length = 60 - 34
    }

    [Theory]
    [InlineData(60)]
    [InlineData(61)]
    [InlineData(64)]
    [InlineData(128)]
    [InlineData(1514)]
    [InlineData(2048)]
    [InlineData(9000)]
    public void Checksums_AreValid(int size)
    {
        var f = DefaultFrame(size);
        Assert.Equal(size, f.Length);
        Assert.True(FrameBuilder.Verifies(f.AsSpan(14, 20)), "IPv4 header checksum");
        Assert.True(UdpVerifies(f), "UDP checksum");
        Assert.NotEqual(0, BinaryPrimitives.ReadUInt16BigEndian(f.AsSpan(40)));
        Assert.Equal(size - 14, BinaryPrimitives.ReadUInt16BigEndian(f.AsSpan(16)));
        Assert.Equal(size - 34, BinaryPrimitives.ReadUInt16BigEndian(f.AsSpan(38)));
    }

    [Fact]
    public void Payload_RepeatsNetmapText_EndsWithNul()
    {
        var f = DefaultFrame(300);
        var body = f.AsSpan(42);
        byte[] text = Encoding.ASCII.GetBytes(FrameBuilder.DefaultPayload);
        Assert.Equal(70, text.Length);
        for (int i = 0; i < body.Length - 1; i++) Assert.Equal(text[i % text.Length], body[i]);
        Assert.Equal(0, body[^1]);
        Assert.StartsWith("netmap pkt-gen DIRECT payload\nhttp://info.iet.unipi.it/~luigi/netmap/ netmap pkt-gen",
            Encoding.ASCII.GetString(body));
    }

    [Fact]
    public void SixtyByteFrame_Payload()
    {
        var f = DefaultFrame();
        Assert.Equal("netmap pkt-gen DI\0", Encoding.ASCII.GetString(f, 42, 18));
    }

    [Fact]
    public void CustomAddresses_AreUsed()
    {
        Assert.True(PktGenOptions.TryParse(
            ["-i", "x", "-f", "tx", "-S", "02:00:00:00:00:01", "-D", "2:0:0:0:0:aB", "-s", "192.168.1.2:7", "-d", "172.16.0.9:0x100"],
            out var o, out var err), err);
        var f = FrameBuilder.Build(o);
        Assert.Equal(new byte[] { 2, 0, 0, 0, 0, 0xab }, f[..6]);
        Assert.Equal(new byte[] { 2, 0, 0, 0, 0, 1 }, f[6..12]);
        Assert.Equal(new byte[] { 192, 168, 1, 2 }, f[26..30]);
        Assert.Equal(new byte[] { 172, 16, 0, 9 }, f[30..34]);
        Assert.Equal(7, BinaryPrimitives.ReadUInt16BigEndian(f.AsSpan(34)));
        Assert.Equal(256, BinaryPrimitives.ReadUInt16BigEndian(f.AsSpan(36)));
        Assert.True(FrameBuilder.Verifies(f.AsSpan(14, 20)));
        Assert.True(UdpVerifies(f));
    }

    [Theory]
    [InlineData(16)]
    [InlineData(33)]
    [InlineData(41)]
    [InlineData(42)]
    public void TinyFrames_AreCutHeaders(int size)
    {
        var f = DefaultFrame(size);
        Assert.Equal(size, f.Length);
        Assert.Equal(0xff, f[0]);
    }

    [Fact]
    public void Echo_SwapsMacsAndIps_KeepsChecksums()
    {
        var f = DefaultFrame(64);
        var r = new byte[f.Length];
        f.CopyTo(r, 0);
        PingPong.Echo(f, r);
        Assert.Equal(f[6..12], r[..6]);
        Assert.Equal(f[..6], r[6..12]);
        Assert.Equal(f[26..30], r[30..34]);
        Assert.Equal(f[30..34], r[26..30]);
        Assert.True(FrameBuilder.Verifies(r.AsSpan(14, 20)));
        Assert.True(UdpVerifies(r));
    }

    [Fact]
    public void Histogram_Format()
    {
        var b = new long[64];
        Assert.Null(PingPong.FormatHistogram(b));
        b[PingPong.Msb64(5000)]++;  // bucket 12
        b[PingPong.Msb64(20000)] += 3; // bucket 14
        Assert.Equal("k: 4096 .. 16384 ns:     1     0     3", PingPong.FormatHistogram(b));
        Assert.Equal(0, PingPong.Msb64(0));
        Assert.Equal(63, PingPong.Msb64(ulong.MaxValue));
    }
}
