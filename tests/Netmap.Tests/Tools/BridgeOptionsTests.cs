using Netmap.Tools.Bridge;

namespace Netmap.Tests.Tools;

public class BridgeOptionsTests
{
    private static BridgeOptions Parse(params string[] args)
    {
        Assert.True(BridgeOptions.TryParse(args, out var o, out var err), err);
        return o;
    }

    private static string Error(params string[] args)
    {
        Assert.False(BridgeOptions.TryParse(args, out _, out var err));
        return err!;
    }

    [Fact]
    public void Defaults()
    {
        var o = Parse("-i", "p{1", "-i", "vale0:x");
        Assert.Equal("netmap:p{1", o.PortA);
        Assert.Equal("vale0:x", o.PortB);
        Assert.False(o.HostStack);
        Assert.Equal(1024, o.Burst);
        Assert.Equal(4, o.WaitLinkSeconds);
        Assert.True(o.ZeroCopy);
        Assert.False(o.Loopback);
        Assert.Equal(0, o.Verbose);
        Assert.False(o.Help);
    }

    [Fact]
    public void Operands_AreIfaIfbAndBurst()
    {
        var o = Parse("netmap:a{1", "b}2", "64");
        Assert.Equal("netmap:a{1", o.PortA);
        Assert.Equal("netmap:b}2", o.PortB);
        Assert.Equal(64, o.Burst);
    }

    [Fact]
    public void Operands_OverrideOptions_AsInBridgeC()
    {
        var o = Parse("-i", "x{1", "-b", "8", "y{1", "z{1", "16");
        Assert.Equal("netmap:y{1", o.PortA);
        Assert.Equal("netmap:z{1", o.PortB);
        Assert.Equal(16, o.Burst);
    }

    [Theory]
    [InlineData("-cvL", "-w0")]
    [InlineData("-c", "-v", "-L", "-w", "0")]
    public void GroupedFlagsAndAttachedValues(params string[] flags)
    {
        var o = Parse([.. flags, "-b64", "-i", "eth0", "-i", "eth1"]);
        Assert.False(o.ZeroCopy);
        Assert.Equal(1, o.Verbose);
        Assert.True(o.Loopback);
        Assert.Equal(0, o.WaitLinkSeconds);
        Assert.Equal(64, o.Burst);
    }

    [Fact]
    public void MissingIfb_IsTheHostStackOfIfa()
    {
        var o = Parse("-i", "veth0");
        Assert.Equal("netmap:veth0", o.PortA);
        Assert.Equal("netmap:veth0^", o.PortB);
        Assert.True(o.HostStack);
    }

    [Fact]
    public void SameIfb_IsTheHostStackOfIfa_UnlessLoopback()
    {
        Assert.Equal("netmap:veth0^", Parse("veth0", "netmap:veth0").PortB);
        var o = Parse("-L", "veth0", "veth0");
        Assert.Equal("netmap:veth0", o.PortB);
        Assert.False(o.HostStack);
    }

    [Theory]
    [InlineData("netmap:eth0", "netmap:eth0^")]
    [InlineData("netmap:eth0@conf:rings=2", "netmap:eth0^@conf:rings=2")]
    [InlineData("netmap:eth0/x", "netmap:eth0^/x")]
    public void WithHostRings_InsertsTheCaretAfterTheName(string spec, string expected)
        => Assert.Equal(expected, BridgeOptions.WithHostRings(spec));

    [Theory]
    [InlineData("1")]
    [InlineData("8192")]
    public void Burst_AcceptsOneTo8192(string b) => Assert.Equal(int.Parse(b), Parse("-b", b, "a{1", "b{1").Burst);

    [Theory]
    [InlineData("0")]
    [InlineData("8193")]
    [InlineData("x")]
    public void Burst_OutOfRange_IsRejected(string b) => Assert.Contains("invalid burst", Error("-b", b, "a{1", "b{1"));

    [Fact]
    public void BurstOperand_OutOfRange_IsRejected() => Assert.Contains("invalid burst 9000", Error("a{1", "b{1", "9000"));

    [Theory]
    [InlineData("-1")]
    [InlineData("101")]
    public void Wait_OutOfRange_IsRejected(string w) => Assert.Contains("invalid wait_link", Error("-w", w, "a{1"));

    [Fact]
    public void Errors()
    {
        Assert.Equal("missing interface", Error());
        Assert.Equal("missing interface", Error("-v"));
        Assert.Equal("unknown option '-x'", Error("-x", "a{1"));
        Assert.Equal("unknown option '--busy'", Error("--busy", "a{1"));
        Assert.Equal("option requires an argument -- 'i'", Error("-i"));
        Assert.Equal("c{1: already have 2 interfaces", Error("-i", "a{1", "-i", "b{1", "-i", "c{1"));
        Assert.Equal("unexpected argument 'd'", Error("a", "b", "1", "d"));
    }

    [Fact]
    public void Help_NeedsNoInterface()
    {
        Assert.True(Parse("-h").Help);
        Assert.True(Parse("--help").Help);
        Assert.StartsWith("Usage:\nbridge [-hvcL]", BridgeOptions.Usage);
    }

    [Fact]
    public void DoubleDash_EndsOptions() => Assert.Equal("netmap:-odd", Parse("--", "-odd", "b{1").PortA);
}
