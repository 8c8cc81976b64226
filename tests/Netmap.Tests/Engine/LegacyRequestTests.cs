using System.Runtime.InteropServices;
using Netmap.Abi;
using Netmap.Engine;

namespace Netmap.Tests.Engine;

/// <summary>netmap's legacy NIOCREGIF / NIOCGINFO (struct nmreq) converted as its legacy layer does, and served by
/// the engine as our LEGACY_REGIF / LEGACY_GINFO requests.</summary>
public sealed class LegacyRequestTests : IDisposable
{
    private readonly NetmapEngine _engine = new();
    private readonly EngineClient _c;

    public LegacyRequestTests() => _c = new EngineClient(_engine);

    public void Dispose() { _c.Dispose(); _engine.Dispose(); }

    private static NmReqLegacy Legacy(string name, uint version = 14)
    {
        var l = new NmReqLegacy { Version = version };
        Span<byte> n = l.Name;
        System.Text.Encoding.ASCII.GetBytes(name).CopyTo(n);
        return l;
    }

    private static (NmReqHeader Header, byte[] Message, int Length) Convert(NmReqLegacy l, bool regIf)
    {
        var msg = new byte[LegacyRequest.MaxMessage];
        int len = LegacyRequest.ToRequest(ref l, regIf, msg);
        return (len > 0 ? MemoryMarshal.Read<NmReqHeader>(msg) : default, msg, len);
    }

    [Fact]
    public void PipeMasterAndSlaveModes_BecomeTheNameSuffix_WithAllNicAndRingZero()
    {
        var l = Legacy("lp");
        l.Flags = (uint)RegisterMode.PipeSlave;
        l.RingId = 7 | NetmapConstants.NoTxPollBit;
        l.Arg2 = 3; l.Arg3 = 5;
        var (h, msg, len) = Convert(l, regIf: true);
        Assert.Equal(NmReqHeader.Size + NmReqRegister.Size, len);
        Assert.Equal(RequestType.Register, h.RequestType);
        Assert.Equal("lp}7", h.GetName());
        var r = MemoryMarshal.Read<NmReqRegister>(msg.AsSpan(NmReqHeader.Size));
        Assert.Equal(RegisterMode.AllNic, r.Mode);
        Assert.Equal(0, r.RingId);
        Assert.Equal(3, r.MemId);
        Assert.Equal(5u, r.ExtraBufs);
        Assert.Equal(RegisterFlags.NoTxPoll, r.Flags & RegisterFlags.NoTxPoll);
    }

    [Fact]
    public void DefaultMode_IsAllNic_AsNetmapDerivesItFromTheMaskedRingId()
    {
        var l = Legacy("p{1");
        l.RingId = NetmapConstants.SoftwareRingBit;
        var (_, msg, _) = Convert(l, regIf: true);
        Assert.Equal(RegisterMode.AllNic, MemoryMarshal.Read<NmReqRegister>(msg.AsSpan(NmReqHeader.Size)).Mode);
    }

    [Theory]
    [InlineData((ushort)LegacyRequest.BdgAttach, (int)RequestType.ValeAttach)]
    [InlineData((ushort)LegacyRequest.BdgDetach, (int)RequestType.ValeDetach)]
    [InlineData((ushort)LegacyRequest.BdgVnetHdr, (int)RequestType.PortHeaderSet)]
    [InlineData((ushort)LegacyRequest.VnetHdrGet, (int)RequestType.PortHeaderGet)]
    [InlineData((ushort)LegacyRequest.BdgNewIf, (int)RequestType.ValeNewInterface)]
    [InlineData((ushort)LegacyRequest.BdgDelIf, (int)RequestType.ValeDeleteInterface)]
    [InlineData((ushort)LegacyRequest.BdgPollingOn, (int)RequestType.ValePollingEnable)]
    [InlineData((ushort)LegacyRequest.BdgPollingOff, (int)RequestType.ValePollingDisable)]
    public void RegIfCommands_MapToTheirRequests(ushort cmd, int typeValue)
    {
        var type = (RequestType)typeValue;
        var l = Legacy("vale0:x");
        l.Cmd = cmd;
        var (h, _, len) = Convert(l, regIf: true);
        Assert.True(len > 0);
        Assert.Equal(type, h.RequestType);
        Assert.Equal(type == RequestType.ValeDeleteInterface, h.Body == 0);
    }

    [Fact]
    public void AttachWithBdgHost_IsNicAndSoftware()
    {
        var l = Legacy("vale0:eth0");
        l.Cmd = LegacyRequest.BdgAttach;
        l.Arg1 = LegacyRequest.BdgHost;
        var (_, msg, _) = Convert(l, regIf: true);
        Assert.Equal(RegisterMode.NicAndSoftware, MemoryMarshal.Read<NmReqValeAttach>(msg.AsSpan(NmReqHeader.Size)).Register.Mode);
    }

    [Fact]
    public void GetInfo_IsPortInfoGet_OrValeListForBdgList()
    {
        var (h, _, _) = Convert(Legacy("p{1"), regIf: false);
        Assert.Equal(RequestType.PortInfoGet, h.RequestType);
        var l = Legacy("");
        l.Cmd = LegacyRequest.BdgList;
        Assert.Equal(RequestType.ValeList, Convert(l, regIf: false).Header.RequestType);
    }

    [Fact]
    public void OldVersions_UnknownCommandsAndPtnetmap_AreRefusedLikeNetmap()
    {
        Assert.Equal(-(int)Errno.EINVAL, Convert(Legacy("p{1", version: 13), true).Length);
        var l = Legacy("p{1");
        l.Cmd = LegacyRequest.BdgRegOps;
        Assert.Equal(-(int)Errno.EINVAL, Convert(l, true).Length);
        l.Cmd = LegacyRequest.PtHostCreate;
        Assert.Equal(-(int)Errno.ENOMEM, Convert(l, true).Length);
    }

    private Errno SendLegacy(ref NmReqLegacy l, bool regIf)
    {
        var req = EngineClient.Request(regIf ? RequestType.LegacyRegIf : RequestType.LegacyGetInfo, "", NmReqLegacy.Size);
        req.Body<NmReqLegacy>() = l;
        var err = _c.Send(req);
        l = req.Body<NmReqLegacy>();
        return err;
    }

    [Fact]
    public void TheEngine_RegistersThroughLegacyRegIf_AndWritesBackWhatNetmapWritesBack()
    {
        var l = Legacy("lg");
        l.Flags = (uint)RegisterMode.PipeMaster;
        l.RingId = 2;
        Assert.Equal(Errno.None, SendLegacy(ref l, regIf: true));
        Assert.NotNull(_c.Registration);
        Assert.Equal((uint)_c.Registration!.Region.MemSize, l.MemSize);
        Assert.Equal(_c.Registration.Region.MemId, l.Arg2);
        Assert.Equal((uint)_c.Registration.NifpOffset, l.Offset);
        Assert.Equal(1, l.TxRings);
        Assert.Equal(2, l.RingId); // nr_ringid is not written back
        Assert.Equal("lg{2", System.Text.Encoding.ASCII.GetString(_c.Memory.Span(_c.NifpOffset, 4)));

        using var info = new EngineClient(_engine);
        var g = Legacy("lg{2");
        var req = EngineClient.Request(RequestType.LegacyGetInfo, "", NmReqLegacy.Size);
        req.Body<NmReqLegacy>() = g;
        Assert.Equal(Errno.None, info.Send(req));
        Assert.Equal(l.MemSize, req.Body<NmReqLegacy>().MemSize);
    }

    [Fact]
    public void ARefusedLegacyRequest_LeavesTheStructUnchanged()
    {
        var l = Legacy("lx", version: 12);
        var before = l;
        Assert.Equal(Errno.EINVAL, SendLegacy(ref l, regIf: true));
        Assert.Equal(before.Version, l.Version);
        Assert.Contains("nr_version 12", _c.Session.LastError);
    }
}
