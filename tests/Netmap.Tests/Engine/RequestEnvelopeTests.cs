using Netmap.Abi;
using Netmap.Engine;

namespace Netmap.Tests.Engine;

/// <summary>nmreq_header checks that come before any request is looked at (spec 2.2).</summary>
public sealed class RequestEnvelopeTests : IDisposable
{
    private readonly NetmapEngine _engine = new();
    private readonly EngineClient _c;

    public RequestEnvelopeTests() => _c = new EngineClient(_engine);

    public void Dispose()
    {
        _c.Dispose();
        _engine.Dispose();
    }

    [Fact]
    public void UnknownRequestType_FailsEinval()
    {
        var req = EngineClient.Request(RequestType.Register, "e{1", NmReqRegister.Size);
        req.Header.RequestType = (RequestType)99;
        Assert.Equal(Errno.EINVAL, _c.Send(req));
        req.Header.RequestType = 0;
        Assert.Equal(Errno.EINVAL, _c.Send(req));
    }

    [Fact]
    public void RequestWithABodyButNullBodyPointer_FailsEinval()
    {
        var req = EngineClient.Request(RequestType.Register, "e{1", NmReqRegister.Size);
        req.Header.Body = 0;
        Assert.Equal(Errno.EINVAL, _c.Send(req));
        Assert.Equal(0, _engine.RegistrationCount);
    }

    [Theory]
    [InlineData((ushort)RequestType.ValeDeleteInterface)]
    [InlineData((ushort)RequestType.SyncKloopStop)]
    [InlineData((ushort)RequestType.CsbEnable)]
    public void BodylessRequestWithABody_FailsEinval(ushort typeValue)
    {
        var type = (RequestType)typeValue; // RequestType is internal: a public test method cannot take it
        var req = EngineClient.Request(type, "e{1", 8);
        Assert.NotEqual(0UL, req.Header.Body);
        Assert.Equal(Errno.EINVAL, _c.Send(req));
    }

    [Fact]
    public void BodyOutsideTheMessage_FailsEfault()
    {
        var req = EngineClient.Request(RequestType.Register, "e{1", NmReqRegister.Size);
        req.Header.Body = (ulong)(NmReqHeader.Size + 8); // last 8 bytes of the body would run past the end
        Assert.Equal(Errno.EFAULT, _c.Send(req));
        req.Header.Body = 16;                            // inside the header
        Assert.Equal(Errno.EFAULT, _c.Send(req));
        Assert.Equal(0, _engine.RegistrationCount);
    }

    [Fact]
    public void MessageShorterThanTheHeader_FailsEinval()
        => Assert.Equal(Errno.EINVAL, _engine.Control(_c.Session, new byte[NmReqHeader.Size - 1], out _));

    [Fact]
    public void RequestsAfterTheEngineIsDisposed_FailEnxio()
    {
        _engine.Dispose();
        Assert.Equal(Errno.ENXIO, _c.Register("late{1"));
    }
}
