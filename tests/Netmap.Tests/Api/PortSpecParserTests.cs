using Netmap.Abi;
using Netmap.Api;

namespace Netmap.Tests.Api;

public class PortSpecParserTests
{
    private static NetmapException Rejects(string spec, Errno errno = Errno.EINVAL, bool enableOffset = false)
    {
        var ex = Assert.Throws<NetmapException>(() => PortSpecParser.Parse(spec, enableOffset));
        Assert.Equal(errno, ex.Errno);
        Assert.StartsWith($"{spec}: parse: {errno}, ", ex.Message);
        return ex;
    }

    // ------------------------------------------------------------ the examples of spec 4.1

    [Fact]
    public void Parse_PlainNetmapName_StripsPrefixAndSelectsAllNicRings()
    {
        PortSpec p = PortSpecParser.Parse("netmap:eth0");

        Assert.Equal("netmap:eth0", p.Spec);
        Assert.Equal("eth0", p.Name);
        Assert.Equal("eth0", p.PortName);
        Assert.Equal(RegisterMode.AllNic, p.Mode);
        Assert.Equal(0, p.RingId);
        Assert.Equal(RegisterFlags.None, p.Flags);
        Assert.Equal(0, p.MemId);
        Assert.False(p.IsVale);
        Assert.Null(p.SwitchName);
        Assert.False(p.IsPipe);
        Assert.Equal('\0', p.PipeRole);
        Assert.Null(p.PipeParent);
        Assert.Null(p.PipeId);
        Assert.Null(p.ShareWith);
        Assert.True(p.Conf.IsEmpty);
        Assert.Null(p.TxRings);
        Assert.Null(p.ExtMem);
        Assert.Null(p.Offset);
        Assert.Equal("netmap:eth0", p.ToString());
    }

    [Fact]
    public void Parse_DashN_SelectsOneNicRing()
    {
        PortSpec p = PortSpecParser.Parse("netmap:eth0-1");

        Assert.Equal("eth0", p.Name);
        Assert.Equal(RegisterMode.OneNic, p.Mode);
        Assert.Equal(1, p.RingId);
    }

    [Fact]
    public void Parse_RingThenFlags_SetsRingAndBothFlags()
    {
        PortSpec p = PortSpecParser.Parse("netmap:eth0-2/Tx");

        Assert.Equal(RegisterMode.OneNic, p.Mode);
        Assert.Equal(2, p.RingId);
        Assert.Equal((RegisterFlags)0x4800, p.Flags);
    }

    [Fact]
    public void Parse_MemIdThenFlags_SetsMemIdAndFlag()
    {
        PortSpec p = PortSpecParser.Parse("netmap:eth0@2/R");

        Assert.Equal("eth0", p.Name);
        Assert.Equal(RegisterMode.AllNic, p.Mode);
        Assert.Equal(2, p.MemId);
        Assert.Equal((RegisterFlags)0x2000, p.Flags);
    }

    [Fact]
    public void Parse_PipeMasterWithRing_KeepsPipeSuffixInName()
    {
        PortSpec p = PortSpecParser.Parse("netmap:pipe{in-7");

        Assert.Equal("pipe{in", p.Name);
        Assert.Equal(RegisterMode.OneNic, p.Mode);
        Assert.Equal(7, p.RingId);
        Assert.True(p.IsPipe);
        Assert.Equal('{', p.PipeRole);
        Assert.Equal("pipe", p.PipeParent);
        Assert.Equal("in", p.PipeId);
        Assert.Equal("pipe", p.PortName);
    }

    [Fact]
    public void Parse_PipeSlave_ReportsSlaveRole()
    {
        PortSpec p = PortSpecParser.Parse("netmap:p}1");

        Assert.Equal("p}1", p.Name);
        Assert.Equal('}', p.PipeRole);
        Assert.Equal("p", p.PipeParent);
        Assert.Equal("1", p.PipeId);
    }

    [Fact]
    public void Parse_ValePipe_KeepsWholeValeNameWithPipeSuffix()
    {
        PortSpec p = PortSpecParser.Parse("vale0:0{0");

        Assert.Equal("vale0:0{0", p.Name);
        Assert.True(p.IsVale);
        Assert.Equal("vale0", p.SwitchName);
        Assert.Equal("0", p.PortName);
        Assert.Equal('{', p.PipeRole);
        Assert.Equal("vale0:0", p.PipeParent);
        Assert.Equal("0", p.PipeId);
    }

    [Fact]
    public void Parse_ValeWithFlagsAndConf_SplitsNameModeAndOptions()
    {
        PortSpec p = PortSpecParser.Parse("vale0:0/Tx@conf:rings=2");

        Assert.Equal("vale0:0", p.Name);
        Assert.True(p.IsVale);
        Assert.Equal((RegisterFlags)0x4800, p.Flags);
        Assert.Equal(2u, p.Conf.Rings);
        Assert.Equal(2u, p.TxRings);
        Assert.Equal(2u, p.RxRings);
        Assert.Null(p.TxSlots);
    }

    [Theory]
    [InlineData("eth0", "prefix unknown")]
    [InlineData("netmapXXX:eth0", "prefix unknown")]
    [InlineData("netmap:", "empty port name")]
    [InlineData("netmap:^", "empty port name")]
    [InlineData("netmap:{", "empty port name before '{'")]
    public void Parse_SpecExampleOfBadName_IsEinval(string spec, string cause)
    {
        Assert.Contains(cause, Rejects(spec).Message);
    }

    // ------------------------------------------------------------ prefix and name

    [Theory]
    [InlineData("", "prefix unknown")]
    [InlineData("foo:eth0", "prefix unknown")]
    [InlineData("Netmap:eth0", "prefix unknown")]
    [InlineData("netmap", "missing ':'")]
    [InlineData("netmap-1:eth0", "prefix unknown")]
    [InlineData("vale0", "missing ':'")]
    [InlineData("vale0-1", "missing ':' after VALE switch name 'vale0'")]
    [InlineData("vale-x:1", "invalid character '-' in VALE switch name")]
    [InlineData("vale0:", "empty VALE port name")]
    [InlineData("vale0:-1", "empty VALE port name")]
    [InlineData("netmap:eth0&", "invalid character '&' in port name 'eth0&'")]
    [InlineData("netmap:vale0:0", "invalid character ':' in port name")]
    [InlineData("netmap:eth 0", "invalid character ' '")]
    [InlineData("netmap:éth0", "invalid character 'é'")]
    [InlineData("vale0:0:1", "invalid character ':' in VALE port name")]
    [InlineData("netmap:x{1}2", "invalid character '}' in pipe identifier '1}2'")]
    [InlineData("netmap:x{", "missing pipe identifier after '{'")]
    [InlineData("netmap:x}-1", "missing pipe identifier after '}'")]
    [InlineData("vale0:0{", "missing pipe identifier after '{'")]
    [InlineData("netmap:}x", "empty port name before '}'")]
    [InlineData("netmap:p{a&b", "invalid character '&' in pipe identifier")]
    public void Parse_BadPrefixOrName_IsEinvalWithCause(string spec, string cause)
    {
        Assert.Contains(cause, Rejects(spec).Message);
    }

    [Theory]
    [InlineData("netmap:eth0.100", "eth0.100")]
    [InlineData("netmap:my_port_1", "my_port_1")]
    [InlineData("netmap:p.x{a.b_1", "p.x{a.b_1")]
    [InlineData("vale:p", "vale:p")]
    [InlineData("valeA_b9:p.1", "valeA_b9:p.1")]
    public void Parse_NameWithAllowedCharacters_IsAccepted(string spec, string name)
    {
        Assert.Equal(name, PortSpecParser.Parse(spec).Name);
    }

    [Fact]
    public void Parse_ValeWithEmptySwitchIdentifier_UsesBarePrefixAsSwitchName()
    {
        PortSpec p = PortSpecParser.Parse("vale:p");

        Assert.Equal("vale", p.SwitchName);
        Assert.Equal("p", p.PortName);
    }

    [Fact]
    public void Parse_NameOf63Characters_IsAccepted()
    {
        string name = new('a', 63);

        Assert.Equal(name, PortSpecParser.Parse("netmap:" + name + "-1").Name);
    }

    [Fact]
    public void Parse_NameOf64Characters_IsEinval()
    {
        string name = new('a', 64);

        Assert.Contains("too long (64 characters", Rejects("netmap:" + name).Message);
    }

    [Fact]
    public void Parse_ValePipeNameOf63Characters_IsAcceptedAnd64IsEinval()
    {
        string ok = "vale0:p{" + new string('i', 63 - 8);
        string tooLong = ok + "i";

        Assert.Equal(ok, PortSpecParser.Parse(ok).Name);
        Assert.Contains("too long", Rejects(tooLong).Message);
    }

    [Fact]
    public void Parse_ValeColonAtIndex15_IsAcceptedAndAtIndex16IsEinval()
    {
        string ok = "vale" + new string('s', 11) + ":p";    // ':' at index 15
        string tooLong = "vale" + new string('s', 12) + ":p"; // ':' at index 16

        Assert.Equal(ok[..15], PortSpecParser.Parse(ok).SwitchName);
        Assert.Contains("first 16 characters", Rejects(tooLong).Message);
    }

    [Fact]
    public void Parse_ValePortOf15Characters_IsAcceptedAnd16IsEinval()
    {
        string ok = "vale0:" + new string('p', 15);

        Assert.Equal(ok, PortSpecParser.Parse(ok).Name);
        Assert.Contains("(16 characters, limit 15)", Rejects(ok + "p").Message);
    }

    // ------------------------------------------------------------ mode

    [Theory]
    [InlineData("netmap:eth0", RegisterMode.AllNic, 0)]
    [InlineData("netmap:eth0^", RegisterMode.Software, 0)]
    [InlineData("netmap:eth0^3", RegisterMode.OneSoftware, 3)]
    [InlineData("netmap:eth0*", RegisterMode.NicAndSoftware, 0)]
    [InlineData("netmap:eth0-0", RegisterMode.OneNic, 0)]
    [InlineData("netmap:eth0-007", RegisterMode.OneNic, 7)]
    [InlineData("netmap:eth0-4094", RegisterMode.OneNic, 4094)]
    [InlineData("netmap:eth0^4094", RegisterMode.OneSoftware, 4094)]
    public void Parse_RingSelector_SetsModeAndRingId(string spec, RegisterMode mode, int ringId)
    {
        PortSpec p = PortSpecParser.Parse(spec);

        Assert.Equal(mode, p.Mode);
        Assert.Equal(ringId, p.RingId);
    }

    [Theory]
    [InlineData('x', RegisterFlags.Exclusive)]
    [InlineData('z', RegisterFlags.ZeroCopyMonitor)]
    [InlineData('t', RegisterFlags.MonitorTx)]
    [InlineData('r', RegisterFlags.MonitorRx)]
    [InlineData('R', RegisterFlags.RxRingsOnly)]
    [InlineData('T', RegisterFlags.TxRingsOnly)]
    public void Parse_EachFlagLetter_SetsItsFlag(char letter, RegisterFlags flag)
    {
        Assert.Equal(flag, PortSpecParser.Parse($"netmap:eth0/{letter}").Flags);
    }

    [Fact]
    public void Parse_AllFlagLetters_AreOred()
    {
        PortSpec p = PortSpecParser.Parse("netmap:eth0/xztrRT");

        Assert.Equal((RegisterFlags)(0x100 | 0x200 | 0x400 | 0x800 | 0x2000 | 0x4000), p.Flags);
    }

    [Theory]
    [InlineData("netmap:eth0/x@3")]
    [InlineData("netmap:eth0@3/x")]
    [InlineData("netmap:eth0-1/x@3")]
    [InlineData("netmap:eth0*@3/x")]
    [InlineData("netmap:eth0@3/x@3")]
    public void Parse_FlagsAndMemIdInAnyOrder_GiveTheSameResult(string spec)
    {
        PortSpec p = PortSpecParser.Parse(spec);

        Assert.Equal(3, p.MemId);
        Assert.Equal(RegisterFlags.Exclusive, p.Flags);
    }

    [Fact]
    public void Parse_MemIdRepeatedWithSameValue_IsAccepted()
    {
        Assert.Equal(2, PortSpecParser.Parse("netmap:eth0@2@2").MemId);
    }

    [Fact]
    public void Parse_MemIdRepeatedWithOtherValue_IsEinval()
    {
        Assert.Contains("memory id @3 conflicts with the earlier @2", Rejects("netmap:eth0@2@3").Message);
    }

    [Fact]
    public void Parse_LargestMemId_IsAccepted()
    {
        Assert.Equal(65535, PortSpecParser.Parse("netmap:eth0@65535").MemId);
    }

    [Theory]
    [InlineData("netmap:eth0-", "missing ring number after '-'")]
    [InlineData("netmap:eth0-x", "missing ring number after '-'")]
    [InlineData("netmap:eth0-/x", "missing ring number after '-'")]
    [InlineData("netmap:eth0-4095", "ring number 4095 out of range [0, 4095)")]
    [InlineData("netmap:eth0-99999999999999999999999", "out of range [0, 4095)")]
    [InlineData("netmap:eth0^4095", "ring number 4095 out of range")]
    [InlineData("netmap:eth0/q", "unknown flag 'q'")]
    [InlineData("netmap:eth0/X", "unknown flag 'X'")]
    [InlineData("netmap:eth0/", "missing flag letters after '/'")]
    [InlineData("netmap:eth0/@2", "missing flag letters after '/'")]
    [InlineData("netmap:eth0/x/z", "'/' given twice")]
    [InlineData("netmap:eth0@", "missing memory id or option name after '@'")]
    [InlineData("netmap:eth0@2@", "missing memory id or option name after '@'")]
    [InlineData("netmap:eth0@0", "memory id must be > 0")]
    [InlineData("netmap:eth0@65536", "memory id 65536 out of range")]
    [InlineData("netmap:eth0/x-1", "ring selector '-' must come before '/flags' and '@N'")]
    [InlineData("netmap:eth0@2^", "ring selector '^' must come before")]
    [InlineData("netmap:eth0-1*", "ring selector '*' after another one")]
    [InlineData("netmap:eth0^-1", "ring selector '-' after another one")]
    [InlineData("netmap:eth0-1x", "unexpected character 'x'")]
    [InlineData("netmap:eth0@2R", "unexpected character 'R'")]
    public void Parse_BadMode_IsEinvalWithCause(string spec, string cause)
    {
        Assert.Contains(cause, Rejects(spec).Message);
    }

    [Fact]
    public void Parse_Error_MessageNamesSpecOperationErrnoAndCause()
    {
        var ex = Assert.Throws<NetmapException>(() => PortSpecParser.Parse("netmap:eth0-"));

        Assert.Equal("netmap:eth0-: parse: EINVAL, missing ring number after '-'", ex.Message);
        Assert.Equal(Errno.EINVAL, ex.Errno);
    }

    // ------------------------------------------------------------ options

    [Fact]
    public void Parse_AtFollowedByLetter_EndsModeAndStartsOptions()
    {
        PortSpec p = PortSpecParser.Parse("netmap:eth0-1/x@2@conf:slots=512");

        Assert.Equal(RegisterMode.OneNic, p.Mode);
        Assert.Equal(1, p.RingId);
        Assert.Equal(RegisterFlags.Exclusive, p.Flags);
        Assert.Equal(2, p.MemId);
        Assert.Equal(512u, p.TxSlots);
        Assert.Equal(512u, p.RxSlots);
    }

    [Fact]
    public void Parse_ConfGenericKeys_ApplyToBothDirections()
    {
        PortSpec p = PortSpecParser.Parse("vale0:1@conf:rings=4,host-rings=2,slots=1024");

        Assert.Equal(4u, p.TxRings);
        Assert.Equal(4u, p.RxRings);
        Assert.Equal(2u, p.HostTxRings);
        Assert.Equal(2u, p.HostRxRings);
        Assert.Equal(1024u, p.TxSlots);
        Assert.Equal(1024u, p.RxSlots);
    }

    [Theory]
    [InlineData("vale0:1@conf:rings=4,tx-rings=2,host-rings=3,host-rx-rings=1,slots=256,rx-slots=128")]
    [InlineData("vale0:1@conf:rx-slots=128,slots=256,host-rx-rings=1,host-rings=3,tx-rings=2,rings=4")]
    public void Parse_ConfSpecificKey_OverridesGenericKeyInAnyOrder(string spec)
    {
        PortSpec p = PortSpecParser.Parse(spec);

        Assert.Equal(2u, p.TxRings);
        Assert.Equal(4u, p.RxRings);
        Assert.Equal(3u, p.HostTxRings);
        Assert.Equal(1u, p.HostRxRings);
        Assert.Equal(256u, p.TxSlots);
        Assert.Equal(128u, p.RxSlots);
        Assert.Equal(4u, p.Conf.Rings);
        Assert.Equal(256u, p.Conf.Slots);
    }

    [Fact]
    public void Parse_ConfAllNineKeys_AreKeptAsGiven()
    {
        PortConfig c = PortSpecParser.Parse(
            "vale0:1@conf:rings=1,host_rings=2,slots=3,tx_rings=4,rx_rings=5,host_tx_rings=6,host_rx_rings=7,tx_slots=8,rx_slots=9").Conf;

        Assert.Equal(
            new PortConfig
            {
                Rings = 1, HostRings = 2, Slots = 3, TxRings = 4, RxRings = 5,
                HostTxRings = 6, HostRxRings = 7, TxSlots = 8, RxSlots = 9,
            },
            c);
        Assert.False(c.IsEmpty);
    }

    [Theory]
    [InlineData("vale0:1@conf:mode=0660", 0x1B0u)]
    [InlineData("netmap:p{1@conf:mode=644,slots=8", 0x1A4u)]
    [InlineData("vale0:1@conf:mode=0", 0u)]
    public void Parse_ConfMode_IsOctalModeBits(string spec, uint mode)
    {
        var c = PortSpecParser.Parse(spec).Conf;
        Assert.Equal(mode, c.Mode);
        Assert.False(c.IsEmpty);
    }

    [Theory]
    [InlineData("vale0:1@conf:mode=0888")]
    [InlineData("vale0:1@conf:mode=01777")]
    [InlineData("vale0:1@conf:mode=rw")]
    public void Parse_ConfMode_NotOctalOrAbove0777_IsRefused(string spec)
        => Assert.Contains("key 'mode' must be octal mode bits 0..0777", Rejects(spec).Message);

    [Theory]
    [InlineData("tx-rings=3")]
    [InlineData("tx_rings=3")]
    public void Parse_DashInKey_IsReadAsUnderscore(string pair)
    {
        Assert.Equal(3u, PortSpecParser.Parse("vale0:1@conf:" + pair).Conf.TxRings);
    }

    [Fact]
    public void Parse_ConfRingsZeroAndLimits_AreAccepted()
    {
        PortSpec p = PortSpecParser.Parse("vale0:1@conf:rings=0,host-rings=65535,slots=4294967295");

        Assert.Equal(0u, p.TxRings);
        Assert.Equal(65535u, p.HostRxRings);
        Assert.Equal(uint.MaxValue, p.RxSlots);
    }

    [Theory]
    [InlineData("netmap:eth0@conf:rings=1,rings=2", "option 'conf': duplicate key 'rings', already set to '1'")]
    [InlineData("netmap:eth0@conf:tx-rings=1,tx_rings=2", "duplicate key 'tx_rings'")]
    [InlineData("netmap:eth0@foo", "unknown option 'foo'")]
    [InlineData("netmap:eth0@foo=1", "unknown option 'foo'")]
    [InlineData("netmap:eth0@Conf:rings=1", "unknown option 'Conf'")]
    [InlineData("netmap:eth0@conf:ring=2", "option 'conf': unknown key 'ring'")]
    [InlineData("netmap:eth0@conf:rings=two", "value 'two' of key 'rings' is not a decimal number")]
    [InlineData("netmap:eth0@conf:rings=-1", "is not a decimal number")]
    [InlineData("netmap:eth0@conf:rings=+1", "is not a decimal number")]
    [InlineData("netmap:eth0@conf:slots= 1", "is not a decimal number")]
    [InlineData("netmap:eth0@conf:rings=65536", "value 65536 of key 'rings' out of range [0, 65535]")]
    [InlineData("netmap:eth0@conf:slots=4294967296", "out of range [0, 4294967295]")]
    [InlineData("netmap:eth0@conf=2", "option 'conf' has no default key")]
    [InlineData("netmap:eth0@conf", "missing body for option 'conf'")]
    [InlineData("netmap:eth0@conf:", "option 'conf': empty key")]
    [InlineData("netmap:eth0@conf:rings=1,", "option 'conf': empty key")]
    [InlineData("netmap:eth0@conf:=1", "option 'conf': empty key")]
    [InlineData("netmap:eth0@conf:rings", "missing '=value' for key 'rings'")]
    [InlineData("netmap:eth0@conf:rings=", "empty value for key 'rings'")]
    [InlineData("netmap:eth0@conf:rings=1@conf:slots=2", "option 'conf' given twice")]
    [InlineData("netmap:eth0@conf:rings=1@", "missing option name after '@'")]
    [InlineData("netmap:eth0@conf:rings=1@@share=netmap:x", "empty option '@@'")]
    [InlineData("netmap:eth0@=1", "missing option name")]
    public void Parse_BadOption_IsEinvalWithCause(string spec, string cause)
    {
        Assert.Contains(cause, Rejects(spec).Message);
    }

    [Theory]
    [InlineData("netmap:eth0@share=netmap:eth1", "netmap:eth1")]
    [InlineData("netmap:eth0@share:port=vale0:1", "vale0:1")]
    [InlineData("netmap:p{0@share=netmap:p{1-0", "netmap:p{1-0")]
    public void Parse_Share_RecordsTheValidatedPortSpec(string spec, string shareWith)
    {
        Assert.Equal(shareWith, PortSpecParser.Parse(spec).ShareWith);
    }

    [Theory]
    [InlineData("netmap:eth0@share", "missing value for option 'share'")]
    [InlineData("netmap:eth0@share=", "missing value after '@share='")]
    [InlineData("netmap:eth0@share=eth1", "option 'share': invalid port 'eth1': prefix unknown")]
    [InlineData("netmap:eth0@share=netmap:eth1,x", "option 'share': invalid port 'netmap:eth1,x': invalid character ','")]
    [InlineData("netmap:eth0@share:foo=x", "option 'share': unknown key 'foo'")]
    [InlineData("netmap:eth0@share:port=netmap:a,port=netmap:b", "duplicate key 'port'")]
    public void Parse_BadShare_IsEinvalWithCause(string spec, string cause)
    {
        Assert.Contains(cause, Rejects(spec).Message);
    }

    [Fact]
    public void Parse_ExtMemWithKeys_ParsesFileAndPoolSizes()
    {
        PortSpec p = PortSpecParser.Parse(
            "netmap:eth0@extmem:file=/dev/shm/pool,if-num=4,if-size=1024,ring-num=8,ring-size=33024,buf-num=4096,buf-size=2048");

        Assert.Equal(new PortSpec.ExtMemOption("/dev/shm/pool", 4, 1024, 8, 33024, 4096, 2048), p.ExtMem);
    }

    [Fact]
    public void Parse_ExtMemDefaultKey_TakesTheWholeValueAsFile()
    {
        PortSpec p = PortSpecParser.Parse("netmap:eth0@extmem=/tmp/a,b@conf:rings=1");

        Assert.Equal(new PortSpec.ExtMemOption("/tmp/a,b", null, null, null, null, null, null), p.ExtMem);
        Assert.Equal(1u, p.TxRings);
    }

    [Theory]
    [InlineData("netmap:eth0@extmem:if-num=2", "option 'extmem': mandatory key 'file' not given")]
    [InlineData("netmap:eth0@extmem:file=/x,buf_size=big", "value 'big' of key 'buf_size' is not a decimal number")]
    [InlineData("netmap:eth0@extmem:file=/x,buf-count=1", "unknown key 'buf_count'")]
    [InlineData("netmap:eth0@extmem", "missing value for option 'extmem'")]
    public void Parse_BadExtMem_IsEinvalWithCause(string spec, string cause)
    {
        Assert.Contains(cause, Rejects(spec).Message);
    }

    [Theory]
    [InlineData("netmap:eth0@offset:initial=64")]
    [InlineData("netmap:eth0@offset=64")]
    [InlineData("netmap:eth0@offset")]
    public void Parse_OffsetByDefault_IsEopnotsupp(string spec)
    {
        Assert.Contains("option 'offset' is disabled", Rejects(spec, Errno.EOPNOTSUPP).Message);
        Assert.False(PortSpecParser.TryParse(spec, out _, out NetmapException? error));
        Assert.Equal(Errno.EOPNOTSUPP, error.Errno);
    }

    [Theory]
    [InlineData("netmap:eth0@offset:initial=64,bits=10", 64UL, 10u)]
    [InlineData("netmap:eth0@offset:bits=10,initial=64", 64UL, 10u)]
    [InlineData("netmap:eth0@offset=128", 128UL, null)]
    public void Parse_OffsetWhenEnabled_ParsesInitialAndBits(string spec, ulong initial, uint? bits)
    {
        PortSpec p = PortSpecParser.Parse(spec, enableOffset: true);

        Assert.Equal(new PortSpec.OffsetOption(initial, bits), p.Offset);
    }

    [Theory]
    [InlineData("netmap:eth0@offset:bits=8", "mandatory key 'initial' not given")]
    [InlineData("netmap:eth0@offset=128,bits=8", "value '128,bits=8' of key 'initial' is not a decimal number")]
    [InlineData("netmap:eth0@offset:initial=1,depth=2", "unknown key 'depth'")]
    public void Parse_BadOffsetWhenEnabled_IsEinval(string spec, string cause)
    {
        Assert.Contains(cause, Rejects(spec, Errno.EINVAL, enableOffset: true).Message);
    }

    [Fact]
    public void Parse_AllOptionsTogether_AreEachApplied()
    {
        PortSpec p = PortSpecParser.Parse(
            "vale1:v0{3^@7/z@share=vale1:v9@conf:tx-slots=64@extmem:file=/m@offset:initial=8", enableOffset: true);

        Assert.Equal("vale1:v0{3", p.Name);
        Assert.Equal(RegisterMode.Software, p.Mode);
        Assert.Equal(7, p.MemId);
        Assert.Equal(RegisterFlags.ZeroCopyMonitor, p.Flags);
        Assert.Equal("vale1:v9", p.ShareWith);
        Assert.Equal(64u, p.TxSlots);
        Assert.Null(p.RxSlots);
        Assert.Equal("/m", p.ExtMem?.File);
        Assert.Equal(8UL, p.Offset?.Initial);
    }

    // ------------------------------------------------------------ TryParse, Normalize, purity

    [Fact]
    public void TryParse_ValidSpec_ReturnsTrueWithResultAndNoError()
    {
        Assert.True(PortSpecParser.TryParse("netmap:eth0*", out PortSpec? result, out NetmapException? error));

        Assert.Equal(RegisterMode.NicAndSoftware, result.Mode);
        Assert.Null(error);
    }

    [Theory]
    [InlineData("netmap:eth0-")]
    [InlineData("eth0")]
    [InlineData(null)]
    public void TryParse_InvalidSpec_ReturnsFalseWithNullResultAndEinval(string? spec)
    {
        Assert.False(PortSpecParser.TryParse(spec, out PortSpec? result, out NetmapException? error));

        Assert.Null(result);
        Assert.Equal(Errno.EINVAL, error.Errno);
    }

    [Fact]
    public void TryParse_InvalidSpec_GivesTheSameErrorAsParse()
    {
        const string spec = "netmap:eth0/q";
        var thrown = Assert.Throws<NetmapException>(() => PortSpecParser.Parse(spec));

        PortSpecParser.TryParse(spec, out _, out NetmapException? error);

        Assert.Equal(thrown.Message, error!.Message);
    }

    [Fact]
    public void Parse_Null_ThrowsArgumentNullException()
    {
        Assert.Throws<ArgumentNullException>(() => PortSpecParser.Parse(null!));
    }

    [Fact]
    public void Parse_SameSpecTwice_GivesIndependentEqualResults()
    {
        PortSpec a = PortSpecParser.Parse("netmap:eth0-1@conf:rings=2");
        PortSpec b = PortSpecParser.Parse("netmap:eth0-1@conf:rings=2");

        Assert.NotSame(a, b);
        Assert.Equal(a.Name, b.Name);
        Assert.Equal(a.Conf, b.Conf);
    }

    [Theory]
    [InlineData("eth0", "netmap:eth0")]
    [InlineData("pipe{1", "netmap:pipe{1")]
    [InlineData("netmap:eth0", "netmap:eth0")]
    [InlineData("vale0:1", "vale0:1")]
    [InlineData("valeX:y{2", "valeX:y{2")]
    [InlineData("", "netmap:")]
    public void Normalize_NameWithoutKnownPrefix_GetsNetmapPrefix(string userName, string expected)
    {
        Assert.Equal(expected, PortSpecParser.Normalize(userName));
    }

    [Fact]
    public void Normalize_BareInterfaceName_ThenParse_GivesTheInterface()
    {
        PortSpec p = PortSpecParser.Parse(PortSpecParser.Normalize("eth0-3"));

        Assert.Equal("eth0", p.Name);
        Assert.Equal(3, p.RingId);
    }
}
