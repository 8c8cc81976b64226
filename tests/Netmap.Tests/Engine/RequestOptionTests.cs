using Netmap.Abi;
using Netmap.Api;
using Netmap.Engine;

namespace Netmap.Tests.Engine;

/// <summary>The nmreq_option chain (spec 2.2): statuses, rejection, and undoing a registration nobody's option was for.</summary>
public sealed class RequestOptionTests : IDisposable
{
    private readonly NetmapEngine _engine = new();
    private readonly EngineClient _c;

    public RequestOptionTests() => _c = new EngineClient(_engine);

    public void Dispose()
    {
        _c.Dispose();
        _engine.Dispose();
    }

    private static ControlRequest Register(string name)
    {
        var req = EngineClient.Request(RequestType.Register, name, NmReqRegister.Size);
        req.Body<NmReqRegister>().Mode = RegisterMode.AllNic;
        return req;
    }

    private static uint Status(ControlRequest req, ulong offset) => req.Option(offset).Status;

    [Fact]
    public void UnknownOptionType_StaysEopnotsupp_AndFailsTheRegistration_WhichIsUndone()
    {
        var req = Register("op{1");
        ulong opt = req.AddOption(new NmReqOption { Type = (OptionType)100 });

        Assert.Equal(Errno.EOPNOTSUPP, _c.Send(req));

        Assert.Equal((uint)Errno.EOPNOTSUPP, Status(req, opt));
        Assert.Equal(0, _engine.RegistrationCount);
        Assert.Null(_c.Session.Registration);
        Assert.Equal(0, _engine.PipeCount);
        Assert.Equal(0UL, req.Body<NmReqRegister>().MemSize); // body not written back
        Assert.Equal(Errno.None, _c.Send(Register("op{1")));
    }

    [Fact]
    public void UnknownOptionType_FailsAnInfoRequestToo()
    {
        var req = EngineClient.Request(RequestType.PortInfoGet, "", NmReqPortInfoGet.Size);
        ulong opt = req.AddOption(new NmReqOption { Type = OptionType.Max });
        Assert.Equal(Errno.EOPNOTSUPP, _c.Send(req));
        Assert.Equal((uint)Errno.EOPNOTSUPP, Status(req, opt));
        Assert.Equal(0UL, req.Body<NmReqPortInfoGet>().MemSize);
    }

    [Fact]
    public void OptionTypeZero_IsEinval()
    {
        var req = Register("op{2");
        ulong first = req.AddOption(new NmReqOption { Type = (OptionType)100 });
        ulong zero = req.AddOption(new NmReqOption { Type = 0 });

        Assert.Equal(Errno.EINVAL, _c.Send(req));

        Assert.Equal((uint)Errno.EINVAL, Status(req, zero));
        Assert.Equal((uint)Errno.EOPNOTSUPP, Status(req, first));
        Assert.Equal(0, _engine.RegistrationCount);
        Assert.Equal(0, _engine.PipeCount);
    }

    [Fact]
    public void DuplicateOptionTypes_MarkBothCopiesEinval_AndFailEinval()
    {
        var req = Register("op{3");
        ulong a = req.AddOption(new NmReqOptCsb { Option = new NmReqOption { Type = OptionType.Csb } });
        ulong other = req.AddOption(new NmReqOptSyncKloopMode { Option = new NmReqOption { Type = OptionType.SyncKloopMode } });
        ulong b = req.AddOption(new NmReqOptCsb { Option = new NmReqOption { Type = OptionType.Csb } });

        Assert.Equal(Errno.EINVAL, _c.Send(req));

        Assert.Equal((uint)Errno.EINVAL, Status(req, a));
        Assert.Equal((uint)Errno.EINVAL, Status(req, b));
        Assert.Equal((uint)Errno.EOPNOTSUPP, Status(req, other));
        Assert.Equal(0, _engine.RegistrationCount);
    }

    [Fact]
    public void ExtMemOnRegister_IsEopnotsupp_AndTheRegistrationIsUndone_SoTheSessionCanRegisterAgain()
    {
        var req = Register("xm{1");
        ulong opt = req.AddOption(new NmReqOptExtMem { Option = new NmReqOption { Type = OptionType.ExtMem } });

        Assert.Equal(Errno.EOPNOTSUPP, _c.Send(req));

        Assert.Equal((uint)Errno.EOPNOTSUPP, Status(req, opt));
        Assert.Equal(0, _engine.RegistrationCount);
        Assert.Equal(0, _engine.PipeCount);
        Assert.Equal(Errno.None, _c.Register("xm{1"));
        Assert.Equal(1, _engine.RegistrationCount);
    }

    [Fact]
    public void ExtMemOnRegister_ReturnsEveryBufferItTook()
    {
        using var keeper = new EngineClient(_engine);
        Assert.Equal(Errno.None, keeper.Register("xm{0"));
        ushort id = keeper.Written.MemId;
        long free = _engine.FreeBuffers(id);

        var req = Register("xm{2");
        req.Body<NmReqRegister>().ExtraBufs = 7;
        req.AddOption(new NmReqOptExtMem { Option = new NmReqOption { Type = OptionType.ExtMem } });
        Assert.Equal(Errno.EOPNOTSUPP, _c.Send(req));

        Assert.Equal(free, _engine.FreeBuffers(id));
        Assert.Equal(1, _engine.PipeCount);
    }

    [Fact]
    public void OptionChainThatLoops_FailsEmsgsize_InsteadOfHanging()
    {
        var req = Register("lp{1");
        ulong opt = req.AddOption(new NmReqOption { Type = (OptionType)100 });
        req.Option(opt).Next = opt;

        Assert.Equal(Errno.EMSGSIZE, _c.Send(req));
        Assert.Equal(0, _engine.RegistrationCount);
    }

    [Fact]
    public void OptionPointerOutsideTheMessage_FailsEfault()
    {
        var req = Register("of{1");
        ulong opt = req.AddOption(new NmReqOption { Type = (OptionType)100 });
        req.Option(opt).Next = 1 << 20;
        Assert.Equal(Errno.EFAULT, _c.Send(req));

        var req2 = Register("of{2");
        req2.Header.Options = 8; // inside the header
        Assert.Equal(Errno.EFAULT, _c.Send(req2));
        Assert.Equal(0, _engine.RegistrationCount);
    }

    [Fact]
    public void BodyPlusOptionsOverRequestMaxSize_FailsEmsgsize()
    {
        var req = Register("big{1");
        for (int i = 0; i < 200; i++) req.AddOption(new NmReqOption { Type = (OptionType)(100 + i) }); // 56 + 200 * 24 > 4096
        Assert.Equal(Errno.EMSGSIZE, _c.Send(req));
    }
}
