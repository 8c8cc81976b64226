using Netmap.Tools.PktGen;

namespace Netmap.Tests.Tools;

public class PktGenOptionsTests
{
    private static PktGenOptions Parse(params string[] args)
    {
        Assert.True(PktGenOptions.TryParse(args, out var o, out var err), err);
        return o;
    }

    [Theory]
    [InlineData("0", 0)]
    [InlineData("10", 10)]
    [InlineData("12", 12)]
    public void VirtioHeader_TakesNetmapsThreeLengths(string arg, int expected)
        => Assert.Equal(expected, Parse("-i", "vale0:a", "-H", arg).VirtioHeader);

    [Fact]
    public void Defaults()
    {
        var o = Parse("-i", "p{1");
        Assert.Equal("netmap:p{1", o.Interface);
        Assert.Equal(PktGenFunction.Rx, o.Function);
        Assert.Equal(0UL, o.Count);
        Assert.Equal(60, o.PacketSize);
        Assert.Equal(512, o.Burst);
        Assert.Equal(1000, o.ReportIntervalMs);
        Assert.Equal(2, o.WaitLinkSeconds);
        Assert.True(o.Forever);
        Assert.True(o.Normalize);
        Assert.False(o.Busy);
        Assert.Equal(-1, o.Affinity);
        Assert.Equal("10.0.0.1", o.Source.Name);
        Assert.Equal(0x0a000001u, o.Source.Address);
        Assert.Equal(1234, o.Source.Port);
        Assert.Equal(0x0a010001u, o.Destination.Address);
        Assert.Equal(1234, o.Destination.Port);
        Assert.Equal("ff:ff:ff:ff:ff:ff", o.DestinationMacName);
        Assert.Equal("00:00:00:00:00:00", o.SourceMacName);
        Assert.Equal(0, o.FramingBits);
    }

    [Fact]
    public void Tx_Options()
    {
        var o = Parse("-i", "netmap:p}1", "-f", "tx", "-n", "100000", "-l", "1514", "-b", "64", "-d", "10.2.0.3:5555", "-T", "250", "-w", "0", "-N", "--busy");
        Assert.Equal("netmap:p}1", o.Interface);
        Assert.Equal(PktGenFunction.Tx, o.Function);
        Assert.Equal(100000UL, o.Count);
        Assert.Equal(1514, o.PacketSize);
        Assert.Equal(64, o.Burst);
        Assert.Equal(0x0a020003u, o.Destination.Address);
        Assert.Equal(5555, o.Destination.Port);
        Assert.Equal("10.2.0.3:5555", o.Destination.Name);
        Assert.Equal(250, o.ReportIntervalMs);
        Assert.Equal(0, o.WaitLinkSeconds);
        Assert.False(o.Normalize);
        Assert.True(o.Busy);
    }

    [Fact]
    public void GroupedFlags_AndAttachedValues()
    {
        var o = Parse("-ip{1", "-NWB", "-n100", "-fpong", "-a1");
        Assert.Equal("netmap:p{1", o.Interface);
        Assert.False(o.Normalize);
        Assert.False(o.Forever);
        Assert.Equal(192, o.FramingBits);
        Assert.Equal(100UL, o.Count);
        Assert.Equal(PktGenFunction.Pong, o.Function);
        Assert.Equal(1, o.Burst); // ping/pong default
        Assert.Equal(1, o.Affinity);
    }

    [Fact]
    public void Vale_DefaultsToNoWait_UnlessGiven()
    {
        Assert.Equal(0, Parse("-i", "vale0:a").WaitLinkSeconds);
        Assert.Equal("vale0:a", Parse("-i", "vale0:a").Interface);
        Assert.Equal(3, Parse("-i", "vale0:a", "-w", "3").WaitLinkSeconds);
    }

    [Fact]
    public void Help()
    {
        Assert.True(Parse("-h").Help);
        Assert.True(Parse("--help").Help);
        Assert.Contains("--busy", PktGenOptions.Usage);
    }

    [Theory]
    [InlineData("-i", "p{1", "-q")]                 // unknown option
    [InlineData("-i", "p{1", "--fast")]             // unknown long option
    [InlineData("-i", "p{1", "-l", "15")]           // too small
    [InlineData("-i", "p{1", "-l", "65537")]        // too large
    [InlineData("-i", "p{1", "-f", "bogus")]
    [InlineData("-i", "p{1", "-n")]                 // missing argument
    [InlineData("-i", "p{1", "-n", "-5")]
    [InlineData("-i", "p{1", "-d", "10.1.0.300")]
    [InlineData("-i", "p{1", "-d", "10.1.0.1-10.1.0.9")] // ranges unsupported
    [InlineData("-i", "p{1", "-d", "10.1.0.1:70000")]
    [InlineData("-i", "p{1", "-D", "ff:ff:ff:ff:ff")]
    [InlineData("-i", "p{1", "-X")]                 // netmap option not implemented
    [InlineData("-i", "vale0:a", "-H", "8")]         // virtio-net header lengths are 0, 10 or 12
    [InlineData("-i", "p{1", "-p", "2")]
    [InlineData("-i", "p{1", "-f", "ping", "-l", "40")]
    [InlineData("-f", "tx")]                        // missing -i
    [InlineData("-i", "p{1", "extra")]
    public void Bad_CommandLines(params string[] args)
    {
        Assert.False(PktGenOptions.TryParse(args, out _, out var err));
        Assert.False(string.IsNullOrEmpty(err));
    }
}
