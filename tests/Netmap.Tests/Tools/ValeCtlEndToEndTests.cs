using System.Net.Sockets;
using Netmap.Abi;
using Netmap.Api;
using Netmap.Engine;
using Netmap.Hosting;
using Netmap.Tools.ValeCtl;

namespace Netmap.Tests.Tools;

/// <summary>
/// vale-ctl (and <see cref="NetmapControl"/> under it) against an embedded engine: netmap's VALE control behaviour
/// as spec section 5 states it. Each test has an engine of its own, so switch and port indices start at 0.
/// </summary>
public sealed class ValeCtlEndToEndTests : IDisposable
{
    private readonly NetmapEngine _engine = new();
    private readonly NetmapHost _host;

    public ValeCtlEndToEndTests() => _host = NetmapHost.Embedded(_engine);

    public void Dispose() => _engine.Dispose();

    private sealed record Outcome(int Exit, string[] Out, string Err)
    {
        public override string ToString() => $"exit {Exit}\nstdout:\n{string.Join("\n", Out)}\nstderr:\n{Err}";
    }

    private Outcome ValeCtl(params string[] args) => ValeCtl(_host, args);

    private static Outcome ValeCtl(NetmapHost host, params string[] args)
    {
        var so = new StringWriter();
        var se = new StringWriter();
        int rc = ValeCtlRunner.Run(args, host, so, se);
        return new Outcome(rc, so.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries), se.ToString());
    }

    private void Ok(Outcome o) => Assert.True(o.Exit == 0 && o.Err.Length == 0, o.ToString());

    private static void Fails(Outcome o, string stderrLine)
    {
        Assert.True(o.Exit == 1, o.ToString());
        Assert.Equal(stderrLine + "\n", o.Err);
        Assert.Empty(o.Out);
    }

    // ------------------------------------------------------------ command line and reachability

    [Fact]
    public void Help_PrintsUsageOnStdout()
    {
        var so = new StringWriter();
        var se = new StringWriter();
        Assert.Equal(0, ValeCtlRunner.Run(["--help"], _host, so, se));
        Assert.Equal(ValeCtlOptions.Usage, so.ToString());
        Assert.Equal("", se.ToString());
    }

    [Theory]
    [InlineData("-v")]
    [InlineData("stray")]
    public void UsageError_PrintsUsageOnStderr_Exit255(string arg)
    {
        var o = ValeCtl(arg);
        Assert.Equal(255, o.Exit); // netmap's usage(-1)
        Assert.Empty(o.Out);
        Assert.Equal(ValeCtlOptions.Usage, o.Err);
    }

    [Fact]
    public void BadOption_IsNamedBeforeTheUsage()
    {
        var o = ValeCtl("-x");
        Assert.Equal(255, o.Exit);
        Assert.Equal("vale-ctl: invalid option -- 'x'\n" + ValeCtlOptions.Usage, o.Err);
    }

    [Fact]
    public void UnreachableEngine_PrintsTheHostsMessage_NotAFailedRequest()
    {
        // A stream socket is not netmapd: connecting with SEQPACKET fails (EPROTOTYPE) without autostart.
        string dir = Path.Combine("/tmp", $"valectl-test-{Environment.ProcessId}-{Guid.NewGuid():N}"[..40]);
        Directory.CreateDirectory(dir);
        string path = Path.Combine(dir, "s.sock");
        try
        {
            using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            listener.Bind(new UnixDomainSocketEndPoint(path));
            listener.Listen(1);
            var o = ValeCtl(NetmapHost.Daemon(path), "-l", "vale0:a");
            Assert.Equal(1, o.Exit);
            Assert.Empty(o.Out);
            Assert.Contains(path, o.Err);
            Assert.DoesNotContain("failed to", o.Err);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    // ------------------------------------------------------------ -g and info requests (pipes and interfaces)

    [Fact]
    public void Info_OnPipe_PrintsPortInfo()
    {
        using var port = NetmapPort.Open("netmap:pg{1", _host);
        var o = ValeCtl("-g", "pg{1");
        Ok(o);
        Assert.Equal(
        [
            $"memsize:    {port.MemSize}",
            $"tx_slots:   {port.TxSlots}",
            $"rx_slots:   {port.RxSlots}",
            $"tx_rings:   {port.TxRings.Count}",
            $"rx_rings    {port.RxRings.Count}",
            $"mem_id:     {port.MemId}",
        ], o.Out);
    }

    [Fact]
    public void Info_UnknownInterface_FailsWithENXIO()
    {
        Fails(ValeCtl("-g", "nosuchif0"), "failed to obtain info for nosuchif0: No such device or address");
    }

    [Fact]
    public void Control_InfoRequests_OnPipe()
    {
        using var port = NetmapPort.Open("netmap:pc{1", _host);
        var info = NetmapControl.PortInfo("pc{1", host: _host);
        Assert.Equal((ulong)port.MemSize, info.MemSize);
        Assert.Equal(port.MemId, info.MemId);
        var pools = NetmapControl.PoolsInfo("pc{1", _host);
        Assert.Equal((ulong)port.MemSize, pools.MemSize);
        Assert.Equal(port.MemId, pools.MemId);
        Assert.Equal(0u, pools.IfPoolOffset);
        Assert.Equal(0u, NetmapControl.PortHeaderGet("pc{1", _host));
    }

    [Fact]
    public void Control_Refusal_NamesPortRequestAndErrno()
    {
        var e = Assert.Throws<NetmapException>(() => NetmapControl.PortInfo("nosuchif0", host: _host));
        Assert.Equal(Errno.ENXIO, e.Errno);
        Assert.StartsWith("nosuchif0: NIOCCTRL PORT_INFO_GET: ENXIO", e.Message);
        e = Assert.Throws<NetmapException>(() => NetmapControl.PoolsInfo("", _host));
        Assert.Equal(Errno.EINVAL, e.Errno);
        Assert.StartsWith(": NIOCCTRL POOLS_INFO_GET: EINVAL", e.Message);
        Assert.Throws<ArgumentException>(() => NetmapControl.ValeList("", _host));
    }

    // ------------------------------------------------------------ listing (needs the VALE engine)

    [Fact]
    public void ListAll_NoSwitch_PrintsNothing()
    {
        var o = ValeCtl();
        Ok(o);
        Assert.Empty(o.Out);
    }

    [Fact]
    public void ListAll_ShowsEphemeralPorts_UntilTheyClose()
    {
        using (var a = NetmapPort.Open("vale0:a", _host))
        using (var b = NetmapPort.Open("vale0:b", _host))
        using (var c = NetmapPort.Open("vale1:c", _host))
        {
            var o = ValeCtl();
            Ok(o);
            Assert.Equal(["vale0:a bridge_idx 0 port_idx 0", "vale0:b bridge_idx 0 port_idx 1", "vale1:c bridge_idx 1 port_idx 0"], o.Out);
            Assert.Equal(
                [new ValePortListing("vale0:a", 0, 0), new ValePortListing("vale0:b", 0, 1), new ValePortListing("vale1:c", 1, 0)],
                NetmapControl.ValeListAll(_host).ToArray());
        }
        var after = ValeCtl();
        Ok(after);
        Assert.Empty(after.Out);
    }

    [Fact]
    public void List_GivesBridgeAndPortIndex()
    {
        using var a = NetmapPort.Open("vale0:a", _host);
        using var b = NetmapPort.Open("vale0:b", _host);
        var o = ValeCtl("-l", "vale0:b");
        Ok(o);
        Assert.Equal(["bridge_idx: 0", "port_idx:   1"], o.Out);
        Assert.Equal(((ushort)0, 1u), NetmapControl.ValeList("vale0:b", _host));
    }

    [Fact]
    public void List_PortNotOnTheSwitch_IsPort255()
    {
        using var a = NetmapPort.Open("vale0:a", _host);
        var o = ValeCtl("-l", "vale0:zz");
        Ok(o);
        Assert.Equal(["bridge_idx: 0", "port_idx:   255"], o.Out);
    }

    [Fact]
    public void List_NoSuchSwitch_FailsWithENOENT()
    {
        Fails(ValeCtl("-l", "vale5:x"), "failed to list vale5:x: No such file or directory");
    }

    [Fact]
    public void Info_OnValePort_PrintsItsRegion()
    {
        using var port = NetmapPort.Open("vale0:a", _host);
        var o = ValeCtl("-g", "vale0:a");
        Ok(o);
        Assert.Equal(
            [$"memsize:    {port.MemSize}", "tx_slots:   1024", "rx_slots:   1024", "tx_rings:   1", "rx_rings    1", $"mem_id:     {port.MemId}"],
            o.Out);
    }

    // ------------------------------------------------------------ persistent ports (needs the VALE engine)

    [Fact]
    public void Create_Twice_FailsWithFileExists()
    {
        Ok(ValeCtl("-n", "foo"));
        Fails(ValeCtl("-n", "foo"), "failed to create foo: File exists");
    }

    [Fact]
    public void Create_Verbose_PrintsTheConfigWrittenBack()
    {
        var o = ValeCtl("-n", "foo", "-C", "512,256,2,1", "-v");
        Ok(o);
        Assert.Equal(["tx_slots:   512", "rx_slots:   256", "tx_rings:   2", "rx_ring:    1"], o.Out[..4]);
        Assert.Equal(5, o.Out.Length);
        Assert.Matches(@"^mem_id:     ([2-9]|[1-9]\d+)$", o.Out[4]); // a private region, not the global one (1)

        var d = ValeCtl("-n", "bar", "-v");
        Ok(d);
        Assert.Equal(["tx_slots:   1024", "rx_slots:   1024", "tx_rings:   1", "rx_ring:    1"], d.Out[..4]);
    }

    [Fact]
    public void Create_ValeName_FailsWithEINVAL()
    {
        Fails(ValeCtl("-n", "vale0x"), "failed to create vale0x: Invalid argument");
    }

    [Fact]
    public void Remove_Unknown_FailsWithENXIO()
    {
        Fails(ValeCtl("-r", "nosuch"), "failed to remove nosuch: No such device or address");
        var e = Assert.Throws<NetmapException>(() => NetmapControl.DeleteInterface("nosuch", _host));
        Assert.Equal(Errno.ENXIO, e.Errno);
        Assert.StartsWith("nosuch: NIOCCTRL VALE_DELIF: ENXIO", e.Message);
    }

    [Fact]
    public void PersistentPort_CreateAttachListDetachRemove()
    {
        Ok(ValeCtl("-n", "foo"));
        var created = ValeCtl();
        Ok(created);
        Assert.Equal(["foo (persistent, not attached)"], created.Out); // our extension: netmap lists only switch ports

        var attach = ValeCtl("-a", "vale0:foo", "-v");
        Ok(attach);
        Assert.Equal(["port_index: 0"], attach.Out);

        var list = ValeCtl();
        Ok(list);
        Assert.Equal(["vale0:foo bridge_idx 0 port_idx 0"], list.Out);
        var l = ValeCtl("-l", "vale0:foo");
        Ok(l);
        Assert.Equal(["bridge_idx: 0", "port_idx:   0"], l.Out);

        Fails(ValeCtl("-a", "vale0:foo"), "failed to attach vale0:foo: Device or resource busy");
        Fails(ValeCtl("-r", "foo"), "failed to remove foo: Device or resource busy");

        var detach = ValeCtl("-d", "vale0:foo", "-v");
        Ok(detach);
        Assert.Equal(["port_index: 0"], detach.Out);
        var detached = ValeCtl();
        Ok(detached);
        Assert.Equal(["foo (persistent, not attached)"], detached.Out);

        var remove = ValeCtl("-r", "foo");
        Ok(remove);
        Assert.Empty(remove.Out);
        var empty = ValeCtl();
        Ok(empty);
        Assert.Empty(empty.Out);
        Fails(ValeCtl("-r", "foo"), "failed to remove foo: No such device or address");
    }

    [Fact]
    public void PersistentPort_AttachedTwiceToTheSameSwitch_IsEBUSY_ThroughTheApi()
    {
        NetmapControl.NewInterface("foo", host: _host);
        Assert.Equal(0u, NetmapControl.ValeAttach("vale0:foo", host: _host));
        var e = Assert.Throws<NetmapException>(() => NetmapControl.ValeAttach("vale0:foo", host: _host));
        Assert.Equal(Errno.EBUSY, e.Errno);
        Assert.StartsWith("vale0:foo: NIOCCTRL VALE_ATTACH: EBUSY", e.Message);
        Assert.Equal(0u, NetmapControl.ValeDetach("vale0:foo", _host));
        NetmapControl.DeleteInterface("foo", _host);
    }

    [Fact]
    public void PersistentPort_AttachedSilently_WithoutVerbose()
    {
        Ok(ValeCtl("-n", "foo"));
        var o = ValeCtl("-a", "vale0:foo");
        Ok(o);
        Assert.Empty(o.Out);
    }

    [Fact]
    public void Polling_OnAPersistentPort_IsNotSupported()
    {
        Ok(ValeCtl("-n", "foo"));
        Ok(ValeCtl("-a", "vale0:foo"));
        Fails(ValeCtl("-p", "vale0:foo", "-C", "1,0,1"), "failed to enable polling on vale0:foo: Operation not supported");
    }

    // ------------------------------------------------------------ -S counters (our extension; needs the VALE engine)

    private static readonly byte[] Broadcast60 = MakeFrame();

    private static byte[] MakeFrame()
    {
        var f = new byte[60];
        f.AsSpan(0, 6).Fill(0xff);                  // broadcast destination
        f[6] = 0x02; f[11] = 0x01;                  // 02:00:00:00:00:01
        f[12] = 0x08;                               // IPv4 ethertype, padding after
        return f;
    }

    [Fact]
    public void Stats_CountWhatCrossedTheSwitch()
    {
        using var a = NetmapPort.Open("vale0:a", _host);
        using var b = NetmapPort.Open("vale0:b", _host);
        for (int i = 0; i < 10; i++) Assert.True(a.Inject(Broadcast60));
        a.TxSync();

        var sa = ValeCtl("-S", "vale0:a");
        Ok(sa);
        Assert.Equal(["vale0:a rx_packets 0 rx_bytes 0 rx_drops 0 tx_packets 10 tx_bytes 600 tx_drops 0"], sa.Out);
        var sb = ValeCtl("-S", "vale0:b");
        Ok(sb);
        Assert.Equal(["vale0:b rx_packets 10 rx_bytes 600 rx_drops 0 tx_packets 0 tx_bytes 0 tx_drops 0"], sb.Out);

        var all = ValeCtl("-S");
        Ok(all);
        Assert.Equal([sa.Out[0], sb.Out[0]], all.Out);

        var s = NetmapControl.ValePortStats("vale0:b", _host);
        Assert.Equal(10ul, s.RxPackets);
        Assert.Equal(0, s.BridgeIndex);
        Assert.Equal(1u, s.PortIndex);
    }

    [Fact]
    public void Stats_NoPorts_PrintsNothing()
    {
        var o = ValeCtl("-S");
        Ok(o);
        Assert.Empty(o.Out);
    }
}
