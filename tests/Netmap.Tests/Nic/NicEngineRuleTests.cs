using Netmap.Abi;
using Netmap.Api;
using Netmap.Engine;
using Netmap.Hosting;
using Netmap.Tests.Infrastructure;

namespace Netmap.Tests.Nic;

/// <summary>The engine's rules for Linux interfaces (embedded engine, a veth of the test's own): naming, host rings,
/// monitors, policy, and VALE attach / polling as netmap defines them.</summary>
public sealed class NicEngineRuleTests : IDisposable
{
    private readonly NetworkLab _lab = new();
    private readonly NetmapEngine _engine = new();
    private readonly NetmapHost _host;
    private readonly string _if;
    private readonly string _ns;

    public NicEngineRuleTests()
    {
        _host = NetmapHost.Embedded(_engine);
        try
        {
            _ns = _lab.Namespace("r");
            (_if, _) = _lab.Veth(peerNamespace: _ns);
        }
        catch
        {
            Dispose(); // a constructor that throws is never disposed: leave no namespace behind
            throw;
        }
    }

    public void Dispose()
    {
        _engine.Dispose();
        _lab.Dispose();
    }

    private NetmapException Refused(Action a) => Assert.Throws<NetmapException>(a);

    [Fact]
    public void UnknownInterface_IsEnxio_NamingThePort()
    {
        var e = Refused(() => NetmapPort.Open("netmap:nmtnosuch0", _host));
        Assert.Equal(Errno.ENXIO, e.Errno);
        Assert.StartsWith("netmap:nmtnosuch0: NIOCCTRL REGISTER: ENXIO", e.Message);
        Assert.Equal(0, _engine.InterfaceCount);
    }

    [Fact]
    public void HostRings_Bind_AfterTheHardwareRings_InNetmapIfOrder()
    {
        using var both = NetmapPort.Open($"netmap:{_if}*@conf:backend=afpacket", _host);
        Assert.Equal(1u, both.Interface.HostTxRings);
        Assert.Equal(both.Interface.TxRings + 1, (uint)both.TxRings.Count);   // NIC_SW: hardware rings then the host ring
        Assert.Equal(0, both.FirstTxRing);
        using var host = NetmapPort.Open($"netmap:{_if}^", _host);
        Assert.Single(host.TxRings);
        Assert.Equal((int)host.Interface.TxRings, host.FirstTxRing);          // SW: only the host ring
        Assert.Equal((int)host.Interface.RxRings, host.FirstRxRing);
        var e = Refused(() => NetmapPort.Open($"netmap:{_if}^3", _host));
        Assert.Equal(Errno.EINVAL, e.Errno);                                 // one host ring each way
    }

    [Fact]
    public void HostRings_OfATap_AreEinval()
    {
        string tap = "tap" + Guid.NewGuid().ToString("N")[..8];
        var e = Refused(() => NamespaceThread.Run(_ns, () => NetmapPort.Open($"netmap:{tap}^", _host)));
        Assert.Equal(Errno.EINVAL, e.Errno);                                 // a TAP's rings are the host stack's already
        Assert.Equal(0, _engine.InterfaceCount);
    }

    [Fact]
    public void Monitor_OfAnInterface_IsRefused()
    {
        using var port = NetmapPort.Open($"netmap:{_if}@conf:backend=afpacket", _host);
        var e = Refused(() => NetmapPort.Open($"netmap:{_if}/r", _host));
        Assert.Equal(Errno.EOPNOTSUPP, e.Errno);
    }

    [Fact]
    public void Policy_Refuses_WithEperm_AndNothingIsLeft()
    {
        _engine.InterfacePolicy = _ => false;
        var e = Refused(() => NetmapPort.Open($"netmap:{_if}", _host));
        Assert.Equal(Errno.EPERM, e.Errno);
        Assert.Contains("may not open Linux interfaces", e.Message);
        Assert.Equal(0, _engine.InterfaceCount);
    }

    [Fact]
    public void ValePortNamedLikeAnInterface_IsEinval()
    {
        var e = Refused(() => NetmapPort.Open($"vale0:{_if}", _host));
        Assert.Equal(Errno.EINVAL, e.Errno);
        Assert.Contains("vale-ctl -a", e.Message);
    }

    [Fact]
    public void SecondOpen_SharesTheAdapter_AndClosingTheLastGivesItBack()
    {
        var a = NetmapPort.Open($"netmap:{_if}@conf:backend=afpacket", _host);
        var b = NetmapPort.Open($"netmap:{_if}", _host);
        Assert.Equal(a.MemId, b.MemId);
        Assert.Equal(1, _engine.InterfaceCount);
        a.Dispose();
        Assert.Equal(1, _engine.InterfaceCount);
        b.Dispose();
        Assert.Equal(0, _engine.InterfaceCount);
    }

    [Fact]
    public void Attach_Rules()
    {
        string name = $"vale2:{_if}";
        var e = Refused(() => NetmapControl.ValeAttach(name, RegisterMode.NicAndSoftware, host: _host, backend: NicBackendKind.Packet));
        Assert.Equal(Errno.EOPNOTSUPP, e.Errno);
        e = Refused(() => NetmapControl.ValeAttach(name, RegisterMode.OneNic, host: _host));
        Assert.Equal(Errno.EINVAL, e.Errno);

        using (NetmapPort.Open($"netmap:{_if}@conf:backend=afpacket", _host))
            Assert.Equal(Errno.EBUSY, Refused(() => NetmapControl.ValeAttach(name, host: _host)).Errno); // in use by a client

        uint index = NetmapControl.ValeAttach(name, host: _host, backend: NicBackendKind.Packet);
        Assert.Equal(index, NetmapControl.ValeList(name, _host).PortIndex);
        Assert.Equal(Errno.EBUSY, Refused(() => NetmapControl.ValeAttach(name, host: _host)).Errno);
        Assert.Equal(Errno.EBUSY, Refused(() => NetmapPort.Open($"netmap:{_if}", _host)).Errno);
        Assert.Equal(Errno.EBUSY, Refused(() => NetmapPort.Open(name, _host)).Errno);

        // Polling: netmap's rules.
        Assert.Equal(Errno.EINVAL, Refused(() => NetmapControl.PollingEnable(name, new NmReqValePolling { Mode = 1, NumPollingCpus = 0 }, _host)).Errno);
        Assert.Equal(Errno.EFAULT, Refused(() => NetmapControl.PollingDisable(name, _host)).Errno);
        NetmapControl.PollingEnable(name, new NmReqValePolling { Mode = 1, FirstCpuId = 0, NumPollingCpus = 1 }, _host);
        Assert.Equal(Errno.EFAULT, Refused(() => NetmapControl.PollingEnable(name, new NmReqValePolling { Mode = 1, NumPollingCpus = 1 }, _host)).Errno);
        Assert.Equal(Errno.EBUSY, Refused(() => NetmapControl.ValeDetach(name, _host)).Errno);
        NetmapControl.PollingDisable(name, _host);

        Assert.Equal(index, NetmapControl.ValeDetach(name, _host));
        Assert.Equal(0, _engine.InterfaceCount);
        Assert.Equal(0, _engine.ValePortCount);
    }

    [Fact]
    public void Polling_OnAPlainValePort_IsEopnotsupp()
    {
        using var p = NetmapPort.Open("vale1:plain", _host);
        var e = Refused(() => NetmapControl.PollingEnable("vale1:plain", new NmReqValePolling { Mode = 1, NumPollingCpus = 1 }, _host));
        Assert.Equal(Errno.EOPNOTSUPP, e.Errno);
    }
}
