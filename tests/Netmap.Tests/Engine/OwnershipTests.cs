using Netmap.Abi;
using Netmap.Engine;

namespace Netmap.Tests.Engine;

/// <summary>
/// The ownership rules of a shared engine, request by request: every switch, port, pipe, persistent port and region
/// belongs to the uid that made it and has a mode (0600 by default). Other users get EACCES naming the object and its
/// owner for every use, and see nothing of it in listings; root may do everything; a mode chosen at creation shares.
/// </summary>
public sealed class OwnershipTests : IDisposable
{
    private const uint Alice = 1000, Bob = 1001;
    private readonly NetmapEngine _engine = new();

    public void Dispose() => _engine.Dispose();

    private EngineClient As(uint uid) => new(_engine, uid);

    private static void Refused(Errno err, EngineClient c, string contains)
    {
        Assert.Equal(Errno.EACCES, err);
        Assert.Contains(contains, c.Session.LastError);
    }

    [Fact]
    public void AnotherUsersValePort_CannotBeBound_NorAPortAddedToTheirSwitch()
    {
        using var a = As(Alice);
        Assert.Equal(Errno.None, a.Register("valeow:a"));
        using var b = As(Bob);
        Refused(b.Register("valeow:a"), b, "valeow:a belongs to uid 1000 (mode 0600): uid 1001 may not use it");
        Refused(b.Register("valeow:b"), b, "switch valeow belongs to uid 1000");
        using var root = As(0);
        Assert.Equal(Errno.None, root.Register("valeow:a"));
    }

    [Fact]
    public void AnotherUsersPipe_CannotBeOpenedAtEitherEnd_NorAPipeAddedToItsParent()
    {
        using var a = As(Alice);
        Assert.Equal(Errno.None, a.Register("ow{1"));
        using var b = As(Bob);
        Refused(b.Register("ow}1"), b, "pipe ow{1 belongs to uid 1000");
        Refused(b.Register("ow{2"), b, "pipe parent ow belongs to uid 1000");
        using var a2 = As(Alice);
        Assert.Equal(Errno.None, a2.Register("ow}1"));
    }

    [Fact]
    public void AnotherUsersPort_CannotBeMonitored_NorItsRegionJoined()
    {
        using var a = As(Alice);
        Assert.Equal(Errno.None, a.Register("valeom:a"));
        ushort mem = a.Written.MemId;
        using var b = As(Bob);
        Refused(b.Register("valeom:a", RegisterMode.AllNic, 0, RegisterFlags.MonitorRx), b, "valeom:a belongs to uid 1000");
        Refused(b.Register("valeom2:x", new NmReqRegister { Mode = RegisterMode.AllNic, MemId = mem }), b, $"mem_id {mem} belongs to uid 1000");
        Refused(b.Register("om{1", new NmReqRegister { Mode = RegisterMode.AllNic, MemId = mem }), b, $"mem_id {mem} belongs to uid 1000");
        Refused(b.Register("x", new NmReqRegister { Mode = RegisterMode.Null, MemId = mem }), b, $"mem_id {mem} belongs to uid 1000");
        var (err, _) = b.Request(RequestType.PortInfoGet, "", new NmReqPortInfoGet { MemId = mem });
        Refused(err, b, $"mem_id {mem} belongs to uid 1000 (mode 0600): uid 1001 may not see it");
    }

    [Fact]
    public void InfoRequests_AboutAnotherUsersPort_AreRefused_AndListingsSkipIt()
    {
        using var a = As(Alice);
        Assert.Equal(Errno.None, a.Register("valeol:a"));
        using var b = As(Bob);
        Assert.Equal(Errno.None, b.Register("valeol2:b"));
        using var q = As(Bob);
        Refused(q.Request(RequestType.PortInfoGet, "valeol:a", new NmReqPortInfoGet()).Err, q, "may not see it");
        Refused(q.Request(RequestType.PoolsInfoGet, "valeol:a", new NmReqPoolsInfo()).Err, q, "may not see it");
        Refused(q.Request(RequestType.PortHeaderGet, "valeol:a", new NmReqPortHeader()).Err, q, "may not see it");
        Refused(q.Request(RequestType.PortHeaderSet, "valeol:a", new NmReqPortHeader { HeaderLength = 12 }).Err, q, "may not use it");
        Refused(q.Request(RequestType.ValePortStatsGet, "valeol:a", new NmReqValePortStats()).Err, q, "may not see it");
        Assert.Equal(Errno.ENOENT, q.Request(RequestType.ValeList, "valeol:a", new NmReqValeList()).Err);
        Assert.Equal(["valeol2:b"], List(q));
        Assert.Equal(["valeol:a", "valeol2:b"], List(As(0)));
    }

    [Fact]
    public void AnotherUsersPersistentPort_CannotBeOpenedAttachedDetachedOrDeleted()
    {
        using var a = As(Alice);
        Assert.Equal(Errno.None, a.Request(RequestType.ValeNewInterface, "owp", new NmReqValeNewInterface()).Err);
        Assert.Equal(Errno.None, a.Request(RequestType.ValeNewInterface, "owq", new NmReqValeNewInterface()).Err);
        Assert.Equal(Errno.None, a.Request(RequestType.ValeAttach, "valeop:owq", new NmReqValeAttach { Register = new NmReqRegister { Mode = RegisterMode.AllNic } }).Err);
        using var b = As(Bob);
        Refused(b.Register("owp"), b, "owp belongs to uid 1000");
        Refused(b.Request(RequestType.ValeAttach, "valeop2:owp", new NmReqValeAttach { Register = new NmReqRegister { Mode = RegisterMode.AllNic } }).Err, b, "owp belongs to uid 1000");
        Refused(b.Request(RequestType.ValeDetach, "valeop:owq", new NmReqValeDetach()).Err, b, "owq belongs to uid 1000");
        var req = new Netmap.Api.ControlRequest(RequestType.ValeDeleteInterface, "owp", 0); // DELIF has no body
        Assert.Equal(Errno.EACCES, b.Send(req));
        Assert.Contains("owp belongs to uid 1000", b.Session.LastError);
        Assert.Empty(ListUnattached(b));
        Assert.Equal(["owp"], ListUnattached(a));
    }

    [Fact]
    public void AModeGivenAtCreation_SharesWithOthers_AndTheEnginesDefaultModeAppliesOtherwise()
    {
        using var a = As(Alice);
        Assert.Equal(Errno.None, a.Register("valeos:a", 0x1B6)); // 0666
        using var b = As(Bob);
        Assert.Equal(Errno.None, b.Register("valeos:a"));
        using var b2 = As(Bob);
        Assert.Equal(Errno.None, b2.Register("valeos:b")); // the switch is 0666 too
        using var a2 = As(Alice);
        Assert.Equal(Errno.None, a2.Register("valeos2:ro", 0x1A4)); // 0644: look, don't touch
        using var b3 = As(Bob);
        Assert.Equal(Errno.None, b3.Request(RequestType.PortInfoGet, "valeos2:ro", new NmReqPortInfoGet()).Err);
        Refused(b3.Register("valeos2:ro"), b3, "mode 0644");

        _engine.DefaultMode = 0x1B6;
        using var a3 = As(Alice);
        Assert.Equal(Errno.None, a3.Register("os{1"));
        using var b4 = As(Bob);
        Assert.Equal(Errno.None, b4.Register("os}1"));
    }

    [Fact]
    public void AModeAbove0777_IsRefused_AndTheOptionFailsRequestsThatCreateNothing()
    {
        using var a = As(Alice);
        Assert.Equal(Errno.EINVAL, a.Register("valeox:a", 0x200));
        var (err, _) = a.Request(RequestType.PortInfoGet, "", new NmReqPortInfoGet(), mode: 0x1B6);
        Assert.Equal(Errno.EOPNOTSUPP, err); // nobody consumes it there
    }

    private static List<string> List(EngineClient c)
    {
        var names = new List<string>();
        ushort bridge = 0;
        uint port = 0;
        while (true)
        {
            var req = new Netmap.Api.ControlRequest(RequestType.ValeList, "", NmReqValeList.Size);
            req.Body<NmReqValeList>() = new NmReqValeList { BridgeIndex = bridge, PortIndex = port };
            if (c.Send(req) != Errno.None) return names;
            names.Add(req.Header.GetName());
            bridge = req.Body<NmReqValeList>().BridgeIndex;
            port = req.Body<NmReqValeList>().PortIndex + 1;
        }
    }

    private static List<string> ListUnattached(EngineClient c)
    {
        var names = new List<string>();
        for (uint port = 0; ; port++)
        {
            var req = new Netmap.Api.ControlRequest(RequestType.ValeList, "", NmReqValeList.Size);
            req.Body<NmReqValeList>() = new NmReqValeList { BridgeIndex = NetmapConstants.MaxBridges, PortIndex = port };
            if (c.Send(req) != Errno.None) return names;
            names.Add(req.Header.GetName());
        }
    }
}
