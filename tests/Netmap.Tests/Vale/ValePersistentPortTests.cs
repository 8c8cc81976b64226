using Netmap.Abi;
using Netmap.Api;
using static Netmap.Tests.Vale.ValeFrames;

namespace Netmap.Tests.Vale;

/// <summary>
/// Persistent VALE ports through <see cref="NetmapControl"/> (spec 5): VALE_NEWIF / VALE_DELIF, VALE_ATTACH /
/// VALE_DETACH, opening an attached port by "valeX:name" or "netmap:name", and netmap's errnos for each misuse.
/// Every refusal names the port in its message.
/// </summary>
public class ValePersistentPortTests
{
    private static NetmapException Refused(Errno errno, Action action, string name)
    {
        var e = Assert.Throws<NetmapException>(action);
        Assert.Equal(errno, e.Errno);
        Assert.StartsWith(name + ": ", e.Message);
        return e;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void NewInterface_WritesBackItsConfiguration_AndRefusesDuplicatesAndValeNames(bool daemon)
    {
        using var h = new ValeTestHost(daemon);
        var cfg = NetmapControl.NewInterface("pp1", host: h.Host);
        Assert.Equal((1, 1, 1024u, 1024u), (cfg.TxRings, cfg.RxRings, cfg.TxSlots, cfg.RxSlots));
        Assert.NotEqual(0, cfg.MemId);
        Assert.Equal((1, 0), (h.Engine.ValePortCount, h.Engine.ValeSwitchCount)); // alive, on no switch
        var sized = NetmapControl.NewInterface("pp2", new NmReqValeNewInterface { TxRings = 2, RxRings = 3, TxSlots = 64, RxSlots = 9000 }, h.Host);
        Assert.Equal((2, 3, 64u, 4096u), (sized.TxRings, sized.RxRings, sized.TxSlots, sized.RxSlots));
        Assert.NotEqual(cfg.MemId, sized.MemId);

        Refused(Errno.EEXIST, () => NetmapControl.NewInterface("pp1", host: h.Host), "pp1");
        Refused(Errno.EINVAL, () => NetmapControl.NewInterface("valex", host: h.Host), "valex");
        Refused(Errno.EINVAL, () => NetmapControl.NewInterface("vale0:x", host: h.Host), "vale0:x");
        Refused(Errno.EINVAL, () => NetmapControl.NewInterface(new string('n', 16), host: h.Host), new string('n', 16));
        Assert.Equal(2, h.Engine.ValePortCount);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void AttachedPort_OpensByBothNames_AndExchangesFramesWithAnEphemeralPort(bool daemon)
    {
        using var h = new ValeTestHost(daemon);
        var cfg = NetmapControl.NewInterface("pp1", host: h.Host);
        using var e = NetmapPort.Open("vale0:e", h.Host);
        uint index = NetmapControl.ValeAttach("vale0:pp1", host: h.Host);
        Assert.Equal(1u, index); // e holds index 0
        Assert.Equal(index, NetmapControl.ValeList("vale0:pp1", h.Host).PortIndex);
        Refused(Errno.EBUSY, () => NetmapControl.ValeAttach("vale0:pp1", host: h.Host), "vale0:pp1");

        using var byVale = NetmapPort.Open("vale0:pp1", h.Host);
        using var byName = NetmapPort.Open("netmap:pp1", h.Host);
        Assert.Equal(cfg.MemId, byVale.MemId);
        Assert.Equal(cfg.MemId, byName.MemId);
        Assert.Equal(2, h.Engine.ValePortCount);

        var fromP = Frame(Broadcast, Mac(0x11), 100, tag: 1);
        Send(byName, fromP);
        Assert.Equal(fromP, Assert.Single(Receive(e, 1)));
        var fromE = Frame(Mac(0x11), Mac(0xe), 200, tag: 2); // unicast to the learned address
        Send(e, fromE);
        Assert.Equal(fromE, Assert.Single(Receive(byVale, 1)));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void DeleteInterface_RefusedWhileAttachedOrOpen(bool daemon)
    {
        using var h = new ValeTestHost(daemon);
        NetmapControl.NewInterface("pp1", host: h.Host);
        uint index = NetmapControl.ValeAttach("vale0:pp1", host: h.Host);
        Refused(Errno.EBUSY, () => NetmapControl.DeleteInterface("pp1", h.Host), "pp1");
        var open = NetmapPort.Open("netmap:pp1", h.Host);
        Assert.Equal(index, NetmapControl.ValeDetach("vale0:pp1", h.Host));
        Assert.Equal(0, h.Engine.ValeSwitchCount); // its only port left
        Refused(Errno.EBUSY, () => NetmapControl.DeleteInterface("pp1", h.Host), "pp1");
        open.Dispose();
        Assert.Equal(1, h.Engine.ValePortCount); // closing does not destroy a persistent port
        NetmapControl.DeleteInterface("pp1", h.Host);
        Assert.Equal(0, h.Engine.ValePortCount);
        Refused(Errno.ENXIO, () => NetmapControl.DeleteInterface("pp1", h.Host), "pp1");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void UnknownNames_AreENXIO(bool daemon)
    {
        using var h = new ValeTestHost(daemon);
        using var e = NetmapPort.Open("vale0:e", h.Host);
        Refused(Errno.ENXIO, () => NetmapControl.ValeAttach("vale0:nosuch", host: h.Host), "vale0:nosuch");
        Refused(Errno.ENXIO, () => NetmapControl.ValeDetach("vale0:nosuch", h.Host), "vale0:nosuch");
        Refused(Errno.ENXIO, () => NetmapControl.ValeDetach("vale5:nosuch", h.Host), "vale5:nosuch");
        Refused(Errno.ENXIO, () => NetmapControl.DeleteInterface("nosuch", h.Host), "nosuch");
        Refused(Errno.ENXIO, () => NetmapPort.Open("netmap:nosuch", h.Host), "netmap:nosuch");
        // An ephemeral port is no interface: DELIF refuses it with EINVAL, attach with EBUSY (already a port).
        Refused(Errno.EINVAL, () => NetmapControl.DeleteInterface("vale0:e", h.Host), "vale0:e");
        Refused(Errno.EBUSY, () => NetmapControl.ValeAttach("vale0:e", host: h.Host), "vale0:e");
        Refused(Errno.EINVAL, () => NetmapControl.ValeDetach("vale0:e", h.Host), "vale0:e");
        Assert.Equal(1, h.Engine.ValePortCount);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void OpeningANotAttachedPersistentPortThroughASwitch_IsEINVAL(bool daemon)
    {
        using var h = new ValeTestHost(daemon);
        NetmapControl.NewInterface("pp1", host: h.Host);
        Refused(Errno.EINVAL, () => NetmapPort.Open("vale0:pp1", h.Host), "vale0:pp1");
        NetmapControl.ValeAttach("vale0:pp1", host: h.Host);
        Refused(Errno.EINVAL, () => NetmapPort.Open("vale1:pp1", h.Host), "vale1:pp1");
        Assert.Equal(1, h.Engine.ValeSwitchCount);
        using (NetmapPort.Open("vale0:pp1", h.Host)) { }
        NetmapControl.ValeDetach("vale0:pp1", h.Host);
        Refused(Errno.EINVAL, () => NetmapPort.Open("vale0:pp1", h.Host), "vale0:pp1");
        using var direct = NetmapPort.Open("netmap:pp1", h.Host); // detached: still openable by its name
        Assert.Equal(1, h.Engine.ValePortCount);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void AttachedPortNobodyOpened_DropsWhatIsSentToIt(bool daemon)
    {
        using var h = new ValeTestHost(daemon);
        NetmapControl.NewInterface("pp1", host: h.Host);
        NetmapControl.ValeAttach("vale0:pp1", host: h.Host);
        using var e = NetmapPort.Open("vale0:e", h.Host);
        Send(e, Frame(Broadcast, Mac(0xe)));
        Send(e, Frame(Broadcast, Mac(0xe)));
        var st = Stats(h, "vale0:pp1");
        Assert.Equal((0UL, 2UL), (st.RxPackets, st.RxDrops));
        // Opened later, it starts from empty rings and receives what comes next.
        using var p = NetmapPort.Open("vale0:pp1", h.Host);
        p.RxSync();
        Assert.Equal(0u, p.RxRings[0].Space);
        var f = Frame(Broadcast, Mac(0xe), 99);
        Send(e, f);
        Assert.Equal(f, Assert.Single(Receive(p, 1)));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ReopenedPersistentPort_StartsFromFreshRings(bool daemon)
    {
        using var h = new ValeTestHost(daemon);
        NetmapControl.NewInterface("pp1", host: h.Host);
        NetmapControl.ValeAttach("vale0:pp1", host: h.Host);
        using var e = NetmapPort.Open("vale0:e", h.Host);
        using (var p = NetmapPort.Open("vale0:pp1", h.Host))
        {
            for (int i = 0; i < 5; i++) Send(p, Frame(Broadcast, Mac(0x11)));
            Send(e, Frame(Broadcast, Mac(0xe))); // left unread in p's RX ring
            Assert.Equal(5, Receive(e, 5).Count);
        }
        using var again = NetmapPort.Open("vale0:pp1", h.Host);
        Assert.Equal((0u, 0u), (again.TxRings[0].Head, again.RxRings[0].Head));
        Assert.Equal(again.TxRings[0].NumSlots - 1, again.TxRings[0].Tail);
        again.RxSync();
        Assert.Equal(0u, again.RxRings[0].Space);
        var f = Frame(Broadcast, Mac(0x11), 123);
        Send(again, f);
        Assert.Equal(f, Assert.Single(Receive(e, 1)));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void PollingOnAValePort_IsNotSupported(bool daemon)
    {
        using var h = new ValeTestHost(daemon);
        using var e = NetmapPort.Open("vale0:e", h.Host);
        NetmapControl.NewInterface("pp1", host: h.Host);
        NetmapControl.ValeAttach("vale0:pp1", host: h.Host);
        var polling = new NmReqValePolling { Mode = 1, FirstCpuId = 0, NumPollingCpus = 1 };
        Refused(Errno.EOPNOTSUPP, () => NetmapControl.PollingEnable("vale0:e", polling, h.Host), "vale0:e");
        Refused(Errno.EOPNOTSUPP, () => NetmapControl.PollingEnable("vale0:pp1", polling, h.Host), "vale0:pp1");
        Refused(Errno.EOPNOTSUPP, () => NetmapControl.PollingDisable("vale0:pp1", h.Host), "vale0:pp1");
        Refused(Errno.ENXIO, () => NetmapControl.PollingEnable("vale0:nosuch", polling, h.Host), "vale0:nosuch");
        // Nothing changed: the attached port detaches normally (DETACH would be EBUSY with polling on).
        NetmapControl.ValeDetach("vale0:pp1", h.Host);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void PersistentPortsOutliveTheirSwitch_AndCanMoveToAnother(bool daemon)
    {
        using var h = new ValeTestHost(daemon);
        NetmapControl.NewInterface("pp1", host: h.Host);
        NetmapControl.ValeAttach("vale0:pp1", host: h.Host);
        NetmapControl.ValeDetach("vale0:pp1", h.Host);
        Assert.Equal(0u, NetmapControl.ValeAttach("vale3:pp1", host: h.Host));
        Assert.Equal("vale3:pp1", Assert.Single(NetmapControl.ValeListAll(h.Host)).Name);
        using var p = NetmapPort.Open("vale3:pp1", h.Host);
        using var q = NetmapPort.Open("vale3:q", h.Host);
        var f = Frame(Broadcast, Mac(0x11));
        Send(p, f);
        Assert.Equal(f, Assert.Single(Receive(q, 1)));
    }
}
