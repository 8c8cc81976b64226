using Netmap.Tools;
using Netmap.Abi;
using Netmap.Tools.ValeCtl;

namespace Netmap.Tests.Tools;

/// <summary>vale-ctl's command line: netmap's getopt string "d:a:h:g:l:n:r:C:p:P:m:v", plus -S and --help.</summary>
public class ValeCtlOptionsTests
{
    private static ValeCtlOptions Parse(params string[] args)
    {
        Assert.True(ValeCtlOptions.TryParse(args, out var o, out var err), err);
        return o;
    }

    private static string ParseError(params string[] args)
    {
        Assert.False(ValeCtlOptions.TryParse(args, out _, out var err));
        return err;
    }

    [Fact]
    public void NoArguments_ListsEveryPort()
    {
        var o = Parse();
        Assert.Equal(ValeCtlCommand.ListAll, o.Command);
        Assert.Null(o.Name);
    }

    [Theory]
    [InlineData("-l", ValeCtlCommand.List, "vale0:a")]
    [InlineData("-a", ValeCtlCommand.Attach, "vale0:a")]
    [InlineData("-h", ValeCtlCommand.Attach, "vale0:eth0")]
    [InlineData("-d", ValeCtlCommand.Detach, "vale0:a")]
    [InlineData("-n", ValeCtlCommand.Create, "foo")]
    [InlineData("-r", ValeCtlCommand.Remove, "foo")]
    [InlineData("-g", ValeCtlCommand.Info, "vale0:a")]
    [InlineData("-p", ValeCtlCommand.PollingEnable, "vale0:eth0")]
    [InlineData("-P", ValeCtlCommand.PollingDisable, "vale0:eth0")]
    [InlineData("-S", ValeCtlCommand.Stats, "vale0:a")]
    public void CommandOption_SetsCommandAndName(string option, ValeCtlCommand command, string name)
    {
        var o = Parse(option, name);
        Assert.Equal(command, o.Command);
        Assert.Equal(name, o.Name);
    }

    [Fact]
    public void Attach_IsAllNic_HostAttach_IsNicSw()
    {
        Assert.Equal(RegisterMode.AllNic, Parse("-a", "vale0:eth0").Mode);
        Assert.Equal(RegisterMode.NicAndSoftware, Parse("-h", "vale0:eth0").Mode);
        Assert.Equal(RegisterMode.AllNic, Parse("-h", "vale0:eth0", "-a", "vale0:eth1").Mode);
    }

    [Fact]
    public void LastCommandOption_Wins()
    {
        var o = Parse("-n", "foo", "-a", "vale0:foo");
        Assert.Equal(ValeCtlCommand.Attach, o.Command);
        Assert.Equal("vale0:foo", o.Name);
    }

    [Fact]
    public void AttachedValues_And_GroupedFlags()
    {
        var o = Parse("-avale0:x", "-C512", "-m2");
        Assert.Equal(ValeCtlCommand.Attach, o.Command);
        Assert.Equal("vale0:x", o.Name);
        Assert.Equal("512", o.Config);
        Assert.Equal("2", o.MemId);
        o = Parse("-vvl", "vale0:x");
        Assert.Equal(2, o.Verbose);
        Assert.Equal(ValeCtlCommand.List, o.Command);
        Assert.Equal("vale0:x", o.Name);
    }

    [Fact]
    public void ConfigAndMemId_DoNotChangeTheName()
    {
        var o = Parse("-n", "foo", "-C", "512,256,2,1", "-m", "netmap:p{1", "-v");
        Assert.Equal(ValeCtlCommand.Create, o.Command);
        Assert.Equal("foo", o.Name);
        Assert.Equal("512,256,2,1", o.Config);
        Assert.Equal("netmap:p{1", o.MemId);
        Assert.Equal(1, o.Verbose);
    }

    [Fact]
    public void Stats_NameIsOptional()
    {
        var o = Parse("-S");
        Assert.Equal(ValeCtlCommand.Stats, o.Command);
        Assert.Null(o.Name);
        Assert.Equal("vale0:a", Parse("-Svale0:a").Name);
        o = Parse("-S", "-v");
        Assert.Null(o.Name);
        Assert.Equal(1, o.Verbose);
    }

    [Fact]
    public void OptionsWithoutACommand_PrintOnlyTheUsage()
    {
        Assert.Equal("", ParseError("-v"));
        Assert.Equal("", ParseError("-C", "1,2"));
        Assert.Equal("", ParseError("-m", "1"));
    }

    [Fact]
    public void StrayArgument_PrintsOnlyTheUsage()
    {
        Assert.Equal("", ParseError("vale0:a"));
        Assert.Equal("", ParseError("-l", "vale0:a", "extra"));
        Assert.Equal("", ParseError("-l", "vale0:a", "--", "extra"));
    }

    [Fact]
    public void BadOptions_AreNamed()
    {
        Assert.Equal("invalid option -- 'x'", ParseError("-x"));
        Assert.Equal("option requires an argument -- 'a'", ParseError("-a"));
        Assert.Equal("unrecognized option '--verbose'", ParseError("--verbose"));
    }

    [Fact]
    public void List_NeedsAValeName()
    {
        Assert.Equal("invalid vale port name: 'eth0'", ParseError("-l", "eth0"));
    }

    [Fact]
    public void Help_IsALongOption()
    {
        Assert.True(Parse("--help").Help);
    }

    [Theory]
    [InlineData(null, 0u, 0u, 0, 0)]
    [InlineData("", 0u, 0u, 0, 0)]
    [InlineData("512", 512u, 512u, 0, 0)]
    [InlineData("512,256", 512u, 256u, 0, 0)]
    [InlineData("512,256,2", 512u, 256u, 2, 2)]
    [InlineData("512,256,2,1", 512u, 256u, 2, 1)]
    [InlineData("1,,2", 1u, 2u, 0, 0)]       // strtok: empty fields vanish
    [InlineData("x,3", 0u, 3u, 0, 0)]        // atoi("x") = 0
    [InlineData("64k,2", 64u, 2u, 0, 0)]     // atoi stops at the first non-digit
    public void RingConfig_IsReadLikeNetmap(string? config, uint txSlots, uint rxSlots, int txRings, int rxRings)
    {
        var r = ValeCtlOptions.ParseRingConfig(config, out var warnings);
        Assert.Empty(warnings);
        Assert.Equal(txSlots, r.TxSlots);
        Assert.Equal(rxSlots, r.RxSlots);
        Assert.Equal(txRings, r.TxRings);
        Assert.Equal(rxRings, r.RxRings);
        Assert.Equal(0, r.MemId);
    }

    [Fact]
    public void RingConfig_ExtraFields_AreIgnoredWithAWarning()
    {
        var r = ValeCtlOptions.ParseRingConfig("1,2,3,4,5,6", out var warnings);
        Assert.Equal(["ignored config: 5", "ignored config: 6"], warnings);
        Assert.Equal(4, r.RxRings);
    }

    [Fact]
    public void PollingConfig_MissingIsAWarningAndZeros()
    {
        var p = ValeCtlOptions.ParsePollingConfig(null, out var warnings);
        Assert.Equal(["invalid null/empty config"], warnings);
        Assert.Equal(0u, p.Mode);
        Assert.Equal(0u, p.FirstCpuId);
        Assert.Equal(0u, p.NumPollingCpus);
    }

    [Theory]
    [InlineData("0,2", NetmapConstants.PollingModeSingleCpu, 2u, 1u, false)]   // single mode: one CPU (netmap's vale-ctl sends 0 and is refused)
    [InlineData("1,2,3", NetmapConstants.PollingModeMultiCpu, 2u, 3u, false)]
    [InlineData("5,0,4", NetmapConstants.PollingModeMultiCpu, 0u, 4u, false)]  // any non-zero x is multi-CPU
    [InlineData("0,2,3", NetmapConstants.PollingModeSingleCpu, 2u, 1u, true)]  // a count in single mode: "too many numbers"
    [InlineData("1,2,3,4", NetmapConstants.PollingModeMultiCpu, 2u, 3u, true)]
    public void PollingConfig_IsReadLikeNetmap(string config, uint mode, uint first, uint count, bool warned)
    {
        var p = ValeCtlOptions.ParsePollingConfig(config, out var warnings);
        Assert.Equal(mode, p.Mode);
        Assert.Equal(first, p.FirstCpuId);
        Assert.Equal(count, p.NumPollingCpus);
        if (warned) Assert.Equal([$"too many numbers in '{config}'"], warnings);
        else Assert.Empty(warnings);
    }

    [Theory]
    [InlineData("12", 12)]
    [InlineData("  12abc", 12)]
    [InlineData("-5", -5)]
    [InlineData("+7", 7)]
    [InlineData("x1", 0)]
    [InlineData("", 0)]
    public void Atoi_IsC(string s, int value) => Assert.Equal(value, CNumbers.Atoi(s));
}
