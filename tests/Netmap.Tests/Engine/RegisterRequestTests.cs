using Netmap.Abi;
using Netmap.Api;
using Netmap.Engine;

namespace Netmap.Tests.Engine;

/// <summary>NETMAP_REQ_REGISTER through NetmapEngine.Control with hand-built messages (spec 2.2).</summary>
public sealed class RegisterRequestTests : IDisposable
{
    private readonly NetmapEngine _engine = new();
    private readonly EngineClient _c;

    public RegisterRequestTests() => _c = new EngineClient(_engine);

    public void Dispose()
    {
        _c.Dispose();
        _engine.Dispose();
    }

    [Theory]
    [InlineData(13, Errno.EINVAL)]
    [InlineData(14, Errno.None)]
    [InlineData(15, Errno.None)]
    [InlineData(16, Errno.EINVAL)]
    [InlineData(0, Errno.EINVAL)]
    public void Register_AcceptsOnlyApiVersions14And15(int version, Errno expected)
    {
        var req = EngineClient.Request(RequestType.Register, "v{1", NmReqRegister.Size);
        req.Header.Version = (ushort)version;
        req.Body<NmReqRegister>().Mode = RegisterMode.AllNic;

        Assert.Equal(expected, _c.Send(req));
        Assert.Equal(expected == Errno.None ? 1 : 0, _engine.RegistrationCount);
    }

    [Fact]
    public void Register_WithNonZeroReservedField_FailsEinval()
    {
        var req = EngineClient.Request(RequestType.Register, "v{1", NmReqRegister.Size);
        req.Header.Reserved = 1;
        req.Body<NmReqRegister>().Mode = RegisterMode.AllNic;
        Assert.Equal(Errno.EINVAL, _c.Send(req));
    }

    [Theory]
    [InlineData(RegisterMode.PipeMaster)]
    [InlineData(RegisterMode.PipeSlave)]
    [InlineData((RegisterMode)9)]
    [InlineData((RegisterMode)0xff)]
    [InlineData((RegisterMode)uint.MaxValue)]
    public void Register_WithDeprecatedOrUnknownMode_FailsEinval(RegisterMode mode)
    {
        Assert.Equal(Errno.EINVAL, _c.Register("m{1", mode));
        Assert.Equal(0, _engine.RegistrationCount);
        Assert.Equal(0, _engine.PipeCount);
    }

    [Theory]
    [InlineData(RegisterMode.Software)]
    [InlineData(RegisterMode.NicAndSoftware)]
    [InlineData(RegisterMode.OneSoftware)]
    public void Register_OfHostRingsOnAPipe_FailsEinval_AndLeavesNoPipe(RegisterMode mode)
    {
        Assert.Equal(Errno.EINVAL, _c.Register("h{1", mode));
        Assert.Equal(0, _engine.PipeCount);
    }

    [Fact]
    public void SecondRegister_OnTheSameSession_FailsEbusy_EvenForAnotherPort()
    {
        Assert.Equal(Errno.None, _c.Register("a{1"));
        Assert.Equal(Errno.EBUSY, _c.Register("a{1"));
        Assert.Equal(Errno.EBUSY, _c.Register("b{1"));
        Assert.Equal(1, _engine.RegistrationCount);
        Assert.Equal(1, _engine.PipeCount);
    }

    [Fact]
    public void Register_WritesBackCountsMemoryAndExtraBuffers_ButNotModeRingIdOrFlags()
    {
        var sent = new NmReqRegister
        {
            Mode = RegisterMode.AllNic, RingId = 0, Flags = RegisterFlags.NoTxPoll | RegisterFlags.DoRxPoll,
            HostTxRings = 3, HostRxRings = 2, ExtraBufs = 5, Offset = 0xdead, MemSize = 0xbeef,
        };

        Assert.Equal(Errno.None, _c.Register("wb{1", sent));

        var w = _c.Written;
        Assert.Equal((1, 1), ((int)w.TxRings, (int)w.RxRings));
        Assert.Equal((1024u, 1024u), (w.TxSlots, w.RxSlots));
        Assert.Equal((0, 0), ((int)w.HostTxRings, (int)w.HostRxRings));   // pipes have no host rings
        Assert.Equal((ulong)_c.Registration!.Region.MemSize, w.MemSize);
        Assert.Equal(_c.Registration!.Region.MemId, w.MemId);
        Assert.True(w.MemId >= 2);
        Assert.Equal((ulong)_c.NifpOffset, w.Offset);
        Assert.Equal(0UL, w.Offset);                                        // first netmap_if of a fresh region
        Assert.Equal(5u, w.ExtraBufs);
        Assert.Equal(sent.Mode, w.Mode);
        Assert.Equal(sent.RingId, w.RingId);
        Assert.Equal(sent.Flags, w.Flags);
    }

    [Fact]
    public void Register_DescribesThePortInItsNetmapIf()
    {
        Assert.Equal(Errno.None, _c.Register("nif{7"));
        ref var ni = ref _c.Nifp;
        ReadOnlySpan<byte> name = ni.Name;
        Assert.Equal("nif{7"u8.ToArray(), name[..5].ToArray());
        Assert.Equal(0, name[5]);
        Assert.Equal(0u, ni.Version);
        Assert.Equal(InterfaceFlags.PrivateMemory, ni.Flags);
        Assert.Equal((1u, 1u), (ni.TxRings, ni.RxRings));
        Assert.Equal((1u, 1u), (ni.HostTxRings, ni.HostRxRings)); // max(1, 0)
        Assert.Equal(0u, ni.BufsHead);
        Assert.Equal(42_369_024UL, _c.Written.MemSize);           // the parent got a default VALE port's region
        Assert.Equal(0, _c.RingOfs(1));                           // host tx entry
        Assert.Equal(0, _c.RingOfs(3));                           // host rx entry
        Assert.NotEqual(0, _c.RingOfs(0));
        Assert.NotEqual(0, _c.RingOfs(2));
    }

    [Fact]
    public void Register_CutsALongAdapterNameTo15CharsInNiName()
    {
        Assert.Equal(Errno.None, _c.Register("averyveryverylongparent{1"));
        ReadOnlySpan<byte> name = _c.Nifp.Name;
        Assert.Equal("averyveryverylo"u8.ToArray(), name[..15].ToArray());
        Assert.Equal(0, name[15]);
    }

    [Fact]
    public void Register_ThatFails_LeavesTheBodyAsSent()
    {
        var sent = new NmReqRegister { Mode = RegisterMode.AllNic, Offset = 0x1234, MemSize = 0x5678, TxSlots = 77, TxRings = 0, ExtraBufs = 3 };
        Assert.Equal(Errno.ENXIO, _c.Register("eth99", sent));
        Assert.Equal(sent, _c.Written);

        Assert.Equal(Errno.EINVAL, _c.Register("ok{1", sent with { Mode = RegisterMode.PipeMaster }));
        Assert.Equal(sent with { Mode = RegisterMode.PipeMaster }, _c.Written);
    }

    [Fact]
    public void Register_OfAnUnknownInterface_FailsEnxio()
    {
        Assert.Equal(Errno.ENXIO, _c.Register("eth99"));
        Assert.Equal(Errno.ENXIO, _c.Register("lo0"));
    }

    [Theory]
    [InlineData("")]
    [InlineData("x:y{1")]       // a raw netmap name ("netmap:vale0:0"-like) as pipe parent
    [InlineData("vale0:0{1")]
    [InlineData("{1")]
    [InlineData("p{")]
    [InlineData("p}")]
    [InlineData("p{1}2")]
    [InlineData("p{1{2")]
    [InlineData("p q{1")]
    [InlineData("p{a/b")]
    public void Register_WithAMalformedName_IsRejected_AndLeavesNothing(string name)
    {
        var err = _c.Register(name);
        Assert.Equal(Errno.EINVAL, err);
        Assert.Equal(0, _engine.PipeCount);
        Assert.Equal(0, _engine.RegistrationCount);
    }

    [Fact]
    public void Register_ForcesByte63OfTheNameToNul()
    {
        var req = EngineClient.Request(RequestType.Register, "", NmReqRegister.Size);
        Span<byte> raw = req.Header.Name;
        raw.Fill((byte)'1');
        raw[0] = (byte)'p'; raw[1] = (byte)'{';
        req.Body<NmReqRegister>().Mode = RegisterMode.AllNic;

        Assert.Equal(Errno.None, _c.Send(req));

        Assert.Equal(0, ((Span<byte>)req.Header.Name)[63]);
        var info = EngineClient.Request(RequestType.PortInfoGet, "p{" + new string('1', 61), NmReqPortInfoGet.Size);
        using var other = new EngineClient(_engine);
        Assert.Equal(Errno.None, other.Send(info));
        Assert.Equal(_c.Registration!.Region.MemId, info.Body<NmReqPortInfoGet>().MemId); // the 63-char name is the registered pipe
    }

    [Fact]
    public void Register_WithAnUnknownMemId_FailsEinval()
    {
        Assert.Equal(Errno.EINVAL, _c.Register("mi{1", new NmReqRegister { Mode = RegisterMode.AllNic, MemId = 999 }));
        Assert.Equal(0, _engine.PipeCount);
    }

    [Fact]
    public void Register_WithTheMemIdOfAnotherPipe_PutsTheNewParentInThatRegion()
    {
        Assert.Equal(Errno.None, _c.Register("first{1"));
        ushort id = _c.Written.MemId;
        using var other = new EngineClient(_engine);
        Assert.Equal(Errno.None, other.Register("second{1", new NmReqRegister { Mode = RegisterMode.AllNic, MemId = id }));
        Assert.Equal(id, other.Written.MemId);
        Assert.Same(_c.Registration!.Region, other.Registration!.Region);
        Assert.NotEqual(_c.NifpOffset, other.NifpOffset);
    }

    [Fact]
    public void LegacyDefaultMode_IsReadFromNrRingId()
    {
        var body = new NmReqRegister { Mode = RegisterMode.Default, RingId = (ushort)(NetmapConstants.HardwareRingBit | 2), TxRings = 4, RxRings = 4 };
        Assert.Equal(Errno.None, _c.Register("lg{1", body));
        var (tx, rx) = _c.RingTable();
        Assert.Equal(new[] { false, false, true, false }, tx.Select(o => o != 0));
        Assert.Equal(new[] { false, false, true, false }, rx.Select(o => o != 0));
        Assert.Equal(RegisterMode.Default, _c.Written.Mode);
    }

    [Fact]
    public void Register_OnAClosedSession_FailsAndDoesNotLeak()
    {
        var c = new EngineClient(_engine);
        c.Dispose();
        Assert.NotEqual(Errno.None, c.Register("cl{1"));
        Assert.Equal(0, _engine.RegistrationCount);
        Assert.Equal(0, _engine.PipeCount);
    }

    [Fact]
    public void ClosingTheSession_Unregisters()
    {
        var c = new EngineClient(_engine);
        Assert.Equal(Errno.None, c.Register("cs{1"));
        Assert.Equal(1, _engine.RegistrationCount);
        c.Dispose();
        Assert.Equal(0, _engine.RegistrationCount);
        Assert.Equal(0, _engine.PipeCount);
    }

    [Fact]
    public void ClosingASessionAfterTheEngineWasDisposed_IsHarmless()
    {
        var engine = new NetmapEngine();
        var c = new EngineClient(engine);
        Assert.Equal(Errno.None, c.Register("gone{1", new NmReqRegister { Mode = RegisterMode.AllNic, ExtraBufs = 2 }));
        engine.Dispose();
        c.Dispose(); // the regions are unmapped: the unregister must not touch them
        Assert.Equal(Errno.ENXIO, new EngineClient(engine).Register("gone{1"));
    }
}
