using System.Runtime.InteropServices;
using Netmap.Abi;
using Netmap.Hosting;
using Netmap.Api;

namespace Netmap;

/// <summary>
/// netmap's control requests other than REGISTER (what vale-ctl and libnetmap send with NIOCCTRL on a fresh
/// /dev/netmap descriptor): VALE attach/detach/list, persistent ports, polling, virtio-net header length, port and
/// pool information, and our per-port VALE counters.
/// <para>
/// <c>name</c> is sent as nr_name exactly as given, as vale-ctl does: no port-spec parsing and no "netmap:"
/// prefix handling (use <see cref="NetmapPort.PortInfo"/> for a full port spec). Each call opens one channel to
/// <c>host</c> (default <see cref="NetmapHost.Default"/>: netmapd, started on demand) and closes it.
/// </para>
/// <para>
/// A refused request throws a <see cref="NetmapException"/> carrying netmap's errno, with the message
/// "NAME: NIOCCTRL REQ: ERRNO[, cause]" (e.g. "vale0:p1: NIOCCTRL VALE_ATTACH: EBUSY, ..."). A failure to reach
/// the host (no netmapd, socket errors) is reported by the host itself and its message does not contain "NIOCCTRL".
/// Thread-safe: calls share nothing.
/// </para>
/// </summary>
public static class NetmapControl
{
    /// <summary>What <see cref="ValeListAll"/> names in its errors (the request carries an empty name).</summary>
    private const string AllPorts = "(every VALE port)";

    /// <summary>
    /// NETMAP_REQ_VALE_ATTACH: plugs <paramref name="name"/> ("valeX:Y") into switch valeX. Y is a persistent port
    /// made by <see cref="NewInterface"/> or an OS interface; <paramref name="mode"/> is
    /// <see cref="RegisterMode.AllNic"/> (NIC rings only) or <see cref="RegisterMode.NicAndSoftware"/> (NIC plus host
    /// stack as a second port). Slots, rings and <paramref name="memId"/> (0 = the default) go into the embedded
    /// nmreq_register. Returns the port index on the switch. EBUSY when already attached to that switch.
    /// </summary>
    /// <remarks><paramref name="backend"/> (our extension, Linux interfaces only) picks AF_XDP or AF_PACKET;
    /// <paramref name="access"/> (our extension, octal mode bits like a file's) is given to the switch and port the
    /// attach creates.</remarks>
    public static uint ValeAttach(string name, RegisterMode mode = RegisterMode.AllNic, ushort memId = 0,
        uint txSlots = 0, uint rxSlots = 0, ushort txRings = 0, ushort rxRings = 0, NetmapHost? host = null,
        NicBackendKind? backend = null, uint? access = null)
    {
        var body = new NmReqValeAttach
        {
            Register = new NmReqRegister
            {
                Mode = mode,
                MemId = memId,
                TxSlots = txSlots,
                RxSlots = rxSlots,
                TxRings = txRings,
                RxRings = rxRings,
            },
        };
        var req = new ControlRequest(RequestType.ValeAttach, name, NmReqValeAttach.Size);
        req.Body<NmReqValeAttach>() = body;
        if (backend is { } b)
            req.AddOption(new NmReqOptInterfaceBackend { Option = new NmReqOption { Type = OptionType.InterfaceBackend }, Backend = (uint)b });
        AddAccess(req, access);
        Execute(req, name, host);
        return req.Body<NmReqValeAttach>().PortIndex;
    }

    /// <summary>NETMAP_REQ_VALE_DETACH: unplugs <paramref name="name"/> ("valeX:Y") from switch valeX; returns the
    /// port index it had. EBUSY while polling is enabled on it.</summary>
    public static uint ValeDetach(string name, NetmapHost? host = null)
        => Send(RequestType.ValeDetach, name, new NmReqValeDetach(), host).PortIndex;

    /// <summary>
    /// NETMAP_REQ_VALE_LIST for one port: the switch index and port index of <paramref name="name"/> ("valeX:Y").
    /// The port index is 255 (NM_BDG_NOPORT) when the switch exists but the port is not on it; ENOENT when there is
    /// no such switch. An empty name is the iteration form: use <see cref="ValeListAll"/>.
    /// </summary>
    public static (ushort BridgeIndex, uint PortIndex) ValeList(string name, NetmapHost? host = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        var r = Send(RequestType.ValeList, name, new NmReqValeList(), host);
        return (r.BridgeIndex, r.PortIndex);
    }

    /// <summary>
    /// Every port of every VALE switch, in (bridge index, port index) order: netmap's NETMAP_REQ_VALE_LIST with an
    /// empty name, starting at (0, 0); each answer names the first port at or after the position asked, and the
    /// next request asks for the port index after it; ENOENT ends the list. Lazy: one channel is held while the
    /// enumeration runs (dispose the enumerator; foreach does). Ports added or removed meanwhile may or may not
    /// appear. Any other refusal throws.
    /// </summary>
    public static IEnumerable<ValePortListing> ValeListAll(NetmapHost? host = null)
    {
        using var channel = (host ?? NetmapHost.Default).OpenChannel();
        ushort bridge = 0;
        uint port = 0;
        while (true)
        {
            var req = new ControlRequest(RequestType.ValeList, "", NmReqValeList.Size);
            req.Body<NmReqValeList>() = new NmReqValeList { BridgeIndex = bridge, PortIndex = port };
            var err = channel.Control(req.Message, out var reg, out string? detail);
            reg?.Dispose();
            if (err == Errno.ENOENT) yield break;
            if (err != Errno.None) throw Refused(AllPorts, RequestType.ValeList, err, detail);
            var found = req.Body<NmReqValeList>();
            // The answer never goes backwards; if it did, the iteration would never end.
            if (found.BridgeIndex < bridge || (found.BridgeIndex == bridge && found.PortIndex < port) || found.PortIndex == uint.MaxValue)
                throw NetmapException.Create(AllPorts, "NIOCCTRL VALE_LIST", Errno.EPROTO,
                    $"asked from bridge {bridge} port {port}, answered bridge {found.BridgeIndex} port {found.PortIndex}");
            yield return new ValePortListing(req.Header.GetName(), found.BridgeIndex, found.PortIndex);
            bridge = found.BridgeIndex;
            port = found.PortIndex + 1;
        }
    }

    /// <summary>
    /// Our extension of the VALE_LIST iteration: the persistent ports attached to no switch (VALE_NEWIF made them,
    /// VALE_ATTACH did not plug them in), by name, that the caller may see. netmap's iteration (<see cref="ValeListAll"/>)
    /// never reaches them; they are asked for at nr_bridge_idx NM_BRIDGES, one past the last switch, which this
    /// reports as their <see cref="ValePortListing.BridgeIndex"/>.
    /// </summary>
    public static IEnumerable<ValePortListing> ValeListUnattached(NetmapHost? host = null)
    {
        using var channel = (host ?? NetmapHost.Default).OpenChannel();
        for (uint port = 0; ; port++)
        {
            var req = new ControlRequest(RequestType.ValeList, "", NmReqValeList.Size);
            req.Body<NmReqValeList>() = new NmReqValeList { BridgeIndex = NetmapConstants.MaxBridges, PortIndex = port };
            var err = channel.Control(req.Message, out var reg, out string? detail);
            reg?.Dispose();
            if (err == Errno.ENOENT) yield break;
            if (err != Errno.None) throw Refused(AllPorts, RequestType.ValeList, err, detail);
            yield return new ValePortListing(req.Header.GetName(), NetmapConstants.MaxBridges, port);
        }
    }

    /// <summary>
    /// NETMAP_REQ_VALE_NEWIF: creates the persistent VALE port <paramref name="name"/> (not starting with "vale",
    /// under 16 characters, not the name of a Linux interface of the caller's network namespace: EEXIST) with
    /// <paramref name="config"/> (zeros = defaults; MemId 0 = a private region). Returns the configuration as the
    /// engine wrote it back. EEXIST when the name exists. <paramref name="access"/> (our extension, octal mode bits
    /// like a file's): who besides the creator may see and use the port (netmapd's --default-mode when null).
    /// </summary>
    public static NmReqValeNewInterface NewInterface(string name, NmReqValeNewInterface config = default, NetmapHost? host = null, uint? access = null)
    {
        var req = new ControlRequest(RequestType.ValeNewInterface, name, NmReqValeNewInterface.Size);
        req.Body<NmReqValeNewInterface>() = config;
        AddAccess(req, access);
        Execute(req, name, host);
        return req.Body<NmReqValeNewInterface>();
    }

    private static void AddAccess(ControlRequest req, uint? access)
    {
        if (access is { } mode)
            req.AddOption(new NmReqOptAccess { Option = new NmReqOption { Type = OptionType.Access }, Mode = mode });
    }

    /// <summary>NETMAP_REQ_VALE_DELIF: destroys the persistent port <paramref name="name"/>. ENXIO if unknown, EINVAL
    /// if not made by <see cref="NewInterface"/>, EBUSY while open or attached.</summary>
    public static void DeleteInterface(string name, NetmapHost? host = null)
        => Execute(new ControlRequest(RequestType.ValeDeleteInterface, name, 0), name, host);

    /// <summary>NETMAP_REQ_VALE_POLLING_ENABLE on the attached NIC <paramref name="name"/> ("valeX:eth0"), with
    /// <paramref name="polling"/> sent as given (mode, first CPU, CPU count).</summary>
    public static void PollingEnable(string name, NmReqValePolling polling, NetmapHost? host = null)
        => Send(RequestType.ValePollingEnable, name, polling, host);

    /// <summary>NETMAP_REQ_VALE_POLLING_DISABLE on <paramref name="name"/> ("valeX:eth0").</summary>
    public static void PollingDisable(string name, NetmapHost? host = null)
        => Send(RequestType.ValePollingDisable, name, new NmReqValePolling(), host);

    /// <summary>NETMAP_REQ_PORT_HDR_GET: the virtio-net header length (0, 10 or 12) of port <paramref name="name"/>.</summary>
    public static uint PortHeaderGet(string name, NetmapHost? host = null)
        => Send(RequestType.PortHeaderGet, name, new NmReqPortHeader(), host).HeaderLength;

    /// <summary>NETMAP_REQ_PORT_HDR_SET: sets the virtio-net header length of VALE port <paramref name="name"/>
    /// (0, 10 or 12, else EINVAL; ENXIO if the port does not exist).</summary>
    public static void PortHeaderSet(string name, uint length, NetmapHost? host = null)
        => Send(RequestType.PortHeaderSet, name, new NmReqPortHeader { HeaderLength = length }, host);

    /// <summary>
    /// NETMAP_REQ_PORT_INFO_GET for nr_name <paramref name="name"/>: ring and slot counts, nr_memsize, nr_mem_id
    /// (netmap may create the port to answer, as REGISTER would). An empty name asks about allocator
    /// <paramref name="memId"/> (0 = the global one).
    /// </summary>
    public static NmReqPortInfoGet PortInfo(string name, ushort memId = 0, NetmapHost? host = null)
        => Send(RequestType.PortInfoGet, name, new NmReqPortInfoGet { MemId = memId }, host);

    /// <summary>NETMAP_REQ_POOLS_INFO_GET: the pool geometry of the region of port <paramref name="name"/> (a name
    /// is required).</summary>
    public static NmReqPoolsInfo PoolsInfo(string name, NetmapHost? host = null)
        => Send(RequestType.PoolsInfoGet, name, new NmReqPoolsInfo(), host);

    /// <summary>Our extension <see cref="RequestType.ValePortStatsGet"/>: the counters of VALE port
    /// <paramref name="name"/> ("valeX:Y") since it was created.</summary>
    public static NmReqValePortStats ValePortStats(string name, NetmapHost? host = null)
        => Send(RequestType.ValePortStatsGet, name, new NmReqValePortStats(), host);

    // ---------------------------------------------------------------- plumbing

    /// <summary>Sends one request with <paramref name="body"/>; returns the body as written back.</summary>
    private static T Send<T>(RequestType type, string name, T body, NetmapHost? host) where T : struct
    {
        var req = new ControlRequest(type, name, Marshal.SizeOf<T>());
        req.Body<T>() = body;
        Execute(req, name, host);
        return req.Body<T>();
    }

    private static void Execute(ControlRequest req, string name, NetmapHost? host)
    {
        using var channel = (host ?? NetmapHost.Default).OpenChannel();
        var err = channel.Control(req.Message, out var reg, out string? detail);
        reg?.Dispose();
        if (err != Errno.None) throw Refused(name, req.Header.RequestType, err, detail);
    }

    /// <summary>"NAME: NIOCCTRL REQ: ERRNO[, cause]", the cause being the engine's detail without its own
    /// "name: op: ERRNO, " head (as <see cref="NetmapPort.Open(string, NetmapHost, NetmapPortOptions?)"/> does).</summary>
    private static NetmapException Refused(string name, RequestType type, Errno err, string? detail)
    {
        string message = $"{name}: NIOCCTRL {RequestName(type)}: {err}";
        if (!string.IsNullOrEmpty(detail))
        {
            int comma = detail.IndexOf(", ", StringComparison.Ordinal);
            message += ", " + (comma >= 0 ? detail[(comma + 2)..] : detail);
        }
        return new NetmapException(err, message);
    }

    /// <summary>netmap's name of a request type (NETMAP_REQ_ without the prefix).</summary>
    private static string RequestName(RequestType type) => type switch
    {
        RequestType.Register => "REGISTER",
        RequestType.PortInfoGet => "PORT_INFO_GET",
        RequestType.ValeAttach => "VALE_ATTACH",
        RequestType.ValeDetach => "VALE_DETACH",
        RequestType.ValeList => "VALE_LIST",
        RequestType.PortHeaderSet => "PORT_HDR_SET",
        RequestType.PortHeaderGet => "PORT_HDR_GET",
        RequestType.ValeNewInterface => "VALE_NEWIF",
        RequestType.ValeDeleteInterface => "VALE_DELIF",
        RequestType.ValePollingEnable => "VALE_POLLING_ENABLE",
        RequestType.ValePollingDisable => "VALE_POLLING_DISABLE",
        RequestType.PoolsInfoGet => "POOLS_INFO_GET",
        RequestType.ValePortStatsGet => "VALE_PORT_STATS_GET",
        _ => type.ToString(),
    };
}
