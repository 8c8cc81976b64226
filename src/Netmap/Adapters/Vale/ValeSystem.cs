using Netmap.Abi;
using Netmap.Memory;

namespace Netmap.Adapters.Vale;

/// <summary>
/// Every VALE switch and persistent VALE port of one engine, and the VALE control requests of spec section 5
/// (REGISTER of "valeX:Y", VALE_NEWIF/DELIF/ATTACH/DETACH/LIST, PORT_HDR_*). Used under the engine lock.
/// Forwarding runs in the caller's txsync unless <see cref="UseWorkers"/> made netmapd worker threads.
/// </summary>
internal sealed class ValeSystem : IDisposable
{
    /// <summary>Our bound on VALE_NEWIF interfaces (netmap's is kernel memory): each holds a region and an
    /// kick line in the engine's process, which a shared daemon must not let one client exhaust.</summary>
    public const int MaxPersistentInterfaces = 256;

    private readonly ValeSwitch?[] _switches = new ValeSwitch?[NetmapConstants.MaxBridges];
    private readonly Dictionary<string, ValePort> _persistent = new(StringComparer.Ordinal);
    private readonly AllocatorRegistry _allocators;
    private readonly Action<string>? _log;
    private ValeWorker[] _workers = [];
    private int _nextWorker;

    public ValeSystem(AllocatorRegistry allocators, Action<string>? log)
    {
        _allocators = allocators;
        _log = log;
        ValeMetrics.Register(this);
    }

    /// <summary>Every live port, replaced on each create/destroy (read by metrics without the engine lock).</summary>
    public ValePort[] SnapshotPorts { get; private set; } = [];

    /// <summary>True when netmapd workers forward (clients' txsyncs only publish).</summary>
    public bool HasWorkers => _workers.Length > 0;

    /// <summary>Starts <paramref name="count"/> forwarding threads (netmapd). Only before the first VALE port.</summary>
    public void UseWorkers(int count, TimeSpan spin)
    {
        if (_workers.Length > 0 || count <= 0) return;
        if (_switches.Any(s => s is not null) || _persistent.Count > 0)
            throw new InvalidOperationException("forwarding workers must be started before the first VALE port");
        _workers = Enumerable.Range(0, count).Select(i => new ValeWorker(i, spin, _log)).ToArray();
    }

    // ---------------------------------------------------------------- names

    /// <summary>Splits "valeX:Y" into switch and port names, with netmap's rules; throws EINVAL naming the cause.</summary>
    public static (string Switch, string Port) SplitName(string name, string op)
    {
        int colon = name.IndexOf(':');
        if (colon < 0)
            throw NetmapException.Create(name, op, Errno.EINVAL, "a VALE port is named valeX:Y");
        if (colon >= NetmapConstants.InterfaceNameSize)
            throw NetmapException.Create(name, op, Errno.EINVAL, $"switch name longer than {NetmapConstants.InterfaceNameSize - 1} characters");
        string sw = name[..colon], port = name[(colon + 1)..];
        foreach (char c in sw)
            if (!(char.IsAsciiLetterOrDigit(c) || c == '_'))
                throw NetmapException.Create(name, op, Errno.EINVAL, $"switch name {sw} has '{c}' (only letters, digits and _)");
        if (port.Length == 0)
            throw NetmapException.Create(name, op, Errno.EINVAL, "empty port name");
        if (port.Length >= NetmapConstants.InterfaceNameSize)
            throw NetmapException.Create(name, op, Errno.EINVAL, $"port name longer than {NetmapConstants.InterfaceNameSize - 1} characters");
        foreach (char c in port)
            if (!(char.IsAsciiLetterOrDigit(c) || c == '_' || c == '.' || c == '-'))
                throw NetmapException.Create(name, op, Errno.EINVAL, $"port name {port} has '{c}'");
        return (sw, port);
    }

    public ValeSwitch? FindSwitch(string name) => _switches.FirstOrDefault(s => s is not null && s.Name == name);

    public ValeSwitch? SwitchAt(int index) => (uint)index < (uint)_switches.Length ? _switches[index] : null;

    /// <summary>The switch <paramref name="name"/>, which <paramref name="caller"/> must be allowed to add ports to, or a
    /// new one it owns (null caller: the engine's own, open to everyone, e.g. a switch made for a custom lookup).</summary>
    private ValeSwitch GetOrCreateSwitch(string name, string fullName, string op, AccessCaller? caller)
    {
        var sw = FindSwitch(name);
        if (sw is not null)
        {
            if (caller is not null) sw.Access.Demand(caller, AccessRight.Use, $"switch {name}", fullName, op);
            return sw;
        }
        int free = Array.IndexOf(_switches, null);
        if (free < 0)
            throw NetmapException.Create(fullName, op, Errno.ENOMEM, $"all {NetmapConstants.MaxBridges} switches are in use");
        sw = new ValeSwitch(name, free, caller?.NewObject() ?? ObjectAccess.Everyone);
        _switches[free] = sw;
        return sw;
    }

    /// <summary>True when <paramref name="caller"/> may see <paramref name="port"/> (and, when attached, its switch).</summary>
    public static bool CanSee(ValePort port, AccessCaller caller)
        => port.Access!.Allows(caller, AccessRight.See) && (port.Switch is null || port.Switch.Access.Allows(caller, AccessRight.See));

    private void DropSwitchIfEmpty(ValeSwitch sw)
    {
        if (sw.Count == 0 && !sw.Persistent && _switches[sw.Index] == sw) _switches[sw.Index] = null;
    }

    private static void CheckCapacity(ValeSwitch sw, string fullName, string op)
    {
        // netmap keeps two slots in reserve (bdg_active_ports + 2 >= NM_BDG_MAXPORTS fails).
        if (sw.Count + 2 >= NetmapConstants.BridgeMaxPorts)
            throw NetmapException.Create(fullName, op, Errno.ENOMEM, $"{sw.Name} already has {sw.Count} ports");
    }

    /// <summary>A persistent port by its interface name, or null.</summary>
    public ValePort? FindPersistent(string name) => _persistent.GetValueOrDefault(name);

    /// <summary>The existing port "valeX:Y" (ephemeral or attached persistent) or the persistent port "Y"; null if none.</summary>
    public ValePort? FindPort(string name)
    {
        if (!name.StartsWith(NetmapConstants.BridgeNamePrefix, StringComparison.Ordinal)) return FindPersistent(name);
        int colon = name.IndexOf(':');
        if (colon < 0) return null;
        var sw = FindSwitch(name[..colon]);
        if (sw is null) return null;
        return sw.Find(name) ?? (FindPersistent(name[(colon + 1)..]) is { } p && p.Switch == sw ? p : null);
    }

    // ---------------------------------------------------------------- REGISTER "valeX:Y"

    /// <summary>
    /// The port a REGISTER (or, with <paramref name="right"/> See, an info request) of "valeX:Y" names, created with its
    /// switch when missing. An existing port needs <paramref name="right"/> on it, a new one Use on an existing switch.
    /// <paramref name="interfacePort"/>: the port of an interface being attached (the engine's own bridge), never a
    /// persistent port of the same name.
    /// </summary>
    public ValePort FindOrCreate(string name, ref NmReqRegister req, string op, AccessCaller caller, AccessRight right = AccessRight.Use, bool interfacePort = false)
    {
        var (swName, portName) = SplitName(name, op);
        if (!interfacePort && FindPersistent(portName) is { } persistent)
        {
            if (persistent.Switch is not null && persistent.Switch.Name == swName)
            {
                persistent.Access!.Demand(caller, right, portName, name, op);
                return persistent;
            }
            throw NetmapException.Create(name, op, Errno.EINVAL, $"{portName} is an interface not attached to {swName}: attach it first (VALE_ATTACH)");
        }
        var existing = FindSwitch(swName)?.Find(name);
        if (existing is not null)
        {
            existing.Access!.Demand(caller, right, name, name, op);
            return existing; // netmap ignores the new request's ring/slot configuration
        }

        var sw = GetOrCreateSwitch(swName, name, op, caller);
        try
        {
            CheckCapacity(sw, name, op);
            var port = CreatePort(name, req.MemId, req.TxRings, req.RxRings, req.TxSlots, req.RxSlots, req.ExtraBufs, persistent: false, op, caller);
            sw.Attach(port);
            return port;
        }
        finally
        {
            DropSwitchIfEmpty(sw);
        }
    }

    /// <summary>Costs of a port besides its region: the port itself and its two kick lines (four descriptors).</summary>
    public const int PortDescriptors = 4;

    private ValePort CreatePort(string name, ushort memId, ushort txRings, ushort rxRings, uint txSlots, uint rxSlots, uint extraBufs, bool persistent, string op, AccessCaller caller)
    {
        int txr = Math.Clamp(txRings == 0 ? 1 : (int)txRings, 1, NetmapConstants.BridgeMaxRings);
        int rxr = Math.Clamp(rxRings == 0 ? 1 : (int)rxRings, 1, NetmapConstants.BridgeMaxRings);
        uint txd = txSlots < 2 ? NetmapConstants.BridgeRingSize : Math.Min(txSlots, (uint)NetmapConstants.BridgeMaxSlots);
        uint rxd = rxSlots < 2 ? NetmapConstants.BridgeRingSize : Math.Min(rxSlots, (uint)NetmapConstants.BridgeMaxSlots);
        var charge = _allocators.Quota.Open(caller.Uid);
        MemoryRegion region;
        ValePort port;
        try
        {
            charge.Add(ResourceKind.Ports, 1, name, op).Add(ResourceKind.Descriptors, PortDescriptors, name, op);
            if (memId != 0)
            {
                if (!_allocators.TryGet(memId, out region))
                    throw NetmapException.Create(name, op, Errno.EINVAL, $"mem_id {memId} does not exist");
                region.Access.Demand(caller, AccessRight.Use, $"mem_id {memId}", name, op);
            }
            else
            {
                // As netmap_vp_create: one more ring per direction (the unused host ring) and room for two pipes. The
                // extra buffers are what the engine granted (at most netmap's 128 * 4096).
                var p = AllocatorParameters.ForPrivatePort((uint)txr + 1, txd, (uint)rxr + 1, rxd, extraBufs, 2);
                region = _allocators.CreatePrivate(p, caller, name, op);
            }
            try
            {
                port = ValePort.Create(name, region, txr, rxr, txd, rxd, persistent, OnUnused);
            }
            catch
            {
                if (region.Users == 0) _allocators.Release(region);
                throw;
            }
        }
        catch
        {
            charge.Dispose();
            throw;
        }
        port.Charge = charge;
        port.Access = caller.NewObject();
        port.ResetRings();
        SnapshotPorts = [.. SnapshotPorts, port];
        if (_workers.Length > 0)
        {
            var w = _workers[_nextWorker++ % _workers.Length];
            w.Add(port);
        }
        return port;
    }

    /// <summary>Called before a registration binds <paramref name="port"/> while nobody else is bound: start from
    /// fresh rings, as netmap does when a port enters netmap mode.</summary>
    public static void OnFirstRegistration(ValePort port)
    {
        // Nobody is bound, so a worker pass that starts now skips the port; wait out one that started before.
        // Not under the switch lock: that pass may need the lock (read) to finish.
        port.Worker?.Quiesce();
        var sw = port.Switch;
        sw?.Lock.EnterWrite(); // and no flush of another port is delivering into it
        try { port.ResetRings(); }
        finally { sw?.Lock.ExitWrite(); }
    }

    private void OnUnused(ValePort port)
    {
        if (port.Persistent) return; // lives until VALE_DELIF
        DestroyPort(port);
    }

    private void DestroyPort(ValePort port)
    {
        port.Worker?.Remove(port);
        var sw = port.Switch;
        if (sw is not null)
        {
            sw.Detach(port);
            DropSwitchIfEmpty(sw);
        }
        port.Destroy();
        port.Charge?.Dispose();
        _allocators.Release(port.Region);
        SnapshotPorts = SnapshotPorts.Where(p => p != port).ToArray();
    }

    // ---------------------------------------------------------------- VALE_NEWIF / VALE_DELIF

    public void NewInterface(string name, ref NmReqValeNewInterface req, AccessCaller caller)
    {
        const string op = "VALE_NEWIF";
        if (name.StartsWith(NetmapConstants.BridgeNamePrefix, StringComparison.Ordinal))
            throw NetmapException.Create(name, op, Errno.EINVAL, "an interface name must not start with \"vale\"");
        if (name.Length >= NetmapConstants.InterfaceNameSize)
            throw NetmapException.Create(name, op, Errno.EINVAL, $"longer than {NetmapConstants.InterfaceNameSize - 1} characters");
        if (name.IndexOfAny([':', '{', '}', '/', '@', '^', '*']) >= 0)
            throw NetmapException.Create(name, op, Errno.EINVAL, "not an interface name");
        if (_persistent.ContainsKey(name))
            throw NetmapException.Create(name, op, Errno.EEXIST, "the interface exists");
        if (_persistent.Count >= MaxPersistentInterfaces)
            throw NetmapException.Create(name, op, Errno.ENOMEM, $"already {MaxPersistentInterfaces} VALE interfaces");
        var port = CreatePort(name, req.MemId, req.TxRings, req.RxRings, req.TxSlots, req.RxSlots, 0, persistent: true, op, caller);
        _persistent.Add(name, port);
        req.TxRings = (ushort)port.TxRings.Length; req.RxRings = (ushort)port.RxRings.Length;
        req.TxSlots = port.TxSlots; req.RxSlots = port.RxSlots;
        req.MemId = port.Region.MemId;
    }

    public void DeleteInterface(string name, AccessCaller caller)
    {
        const string op = "VALE_DELIF";
        if (!_persistent.TryGetValue(name, out var port))
            throw FindPort(name) is null
                ? NetmapException.Create(name, op, Errno.ENXIO, "no such interface")
                : NetmapException.Create(name, op, Errno.EINVAL, "not created by VALE_NEWIF");
        port.Access!.Demand(caller, AccessRight.Use, name, name, op);
        if (port.Registrations > 0)
            throw NetmapException.Create(name, op, Errno.EBUSY, $"open by {port.Registrations} registration(s)");
        if (port.Switch is not null)
            throw NetmapException.Create(name, op, Errno.EBUSY, $"attached to {port.Switch.Name}");
        _persistent.Remove(name);
        DestroyPort(port);
    }

    // ---------------------------------------------------------------- VALE_ATTACH / VALE_DETACH

    public uint Attach(string name, ref NmReqValeAttach req, AccessCaller caller)
    {
        const string op = "VALE_ATTACH";
        var (swName, ifName) = SplitName(name, op);
        var mode = req.Register.Mode;
        if (mode is not (RegisterMode.AllNic or RegisterMode.NicAndSoftware) || req.Register.RingId != 0)
            throw NetmapException.Create(name, op, Errno.EINVAL, "attach needs nr_mode NR_REG_ALL_NIC or NR_REG_NIC_SW and nr_ringid 0");
        var port = FindPersistent(ifName);
        if (port is null)
        {
            if (FindSwitch(swName)?.Find(name) is not null)
                throw NetmapException.Create(name, op, Errno.EBUSY, "already a port of the switch");
            throw NetmapException.Create(name, op, Errno.ENXIO, $"no interface {ifName}: neither a VALE interface (VALE_NEWIF) nor a Linux interface in the caller's network namespace");
        }
        port.Access!.Demand(caller, AccessRight.Use, ifName, name, op);
        if (port.Switch is not null)
            throw NetmapException.Create(name, op, Errno.EBUSY,
                port.Switch.Name == swName ? $"{ifName} is already attached to {swName}" : $"{ifName} is attached to {port.Switch.Name}");
        if (mode == RegisterMode.NicAndSoftware)
            throw NetmapException.Create(name, op, Errno.EINVAL, $"{ifName} is a VALE interface: it has no host rings to attach");
        var sw = GetOrCreateSwitch(swName, name, op, caller);
        try
        {
            CheckCapacity(sw, name, op);
            return sw.Attach(port); // live: an open port starts exchanging frames at once, as in netmap
        }
        finally
        {
            DropSwitchIfEmpty(sw);
        }
    }

    public uint Detach(string name, AccessCaller caller)
    {
        const string op = "VALE_DETACH";
        var (swName, ifName) = SplitName(name, op);
        var sw = FindSwitch(swName) ?? throw NetmapException.Create(name, op, Errno.ENXIO, $"no switch {swName}");
        var port = FindPersistent(ifName);
        if (port is null || port.Switch != sw)
        {
            if (sw.Find(name) is not null)
                throw NetmapException.Create(name, op, Errno.EINVAL, "an ephemeral port leaves when it is closed, not by VALE_DETACH");
            throw NetmapException.Create(name, op, Errno.ENXIO, $"{ifName} is not attached to {swName}");
        }
        port.Access!.Demand(caller, AccessRight.Use, ifName, name, op);
        uint index = port.PortIndex;
        sw.Detach(port);
        DropSwitchIfEmpty(sw);
        return index;
    }

    // ---------------------------------------------------------------- VALE_LIST

    /// <summary>VALE_LIST with a name: its switch and port indices (port 255 when not on the switch); ENOENT if no switch.</summary>
    public void List(string name, ref NmReqValeList req, AccessCaller caller)
    {
        int colon = name.IndexOf(':');
        string swName = colon < 0 ? name : name[..colon];
        var sw = FindSwitch(swName);
        // What the caller may not see is listed as absent.
        if (sw is null || !sw.Access.Allows(caller, AccessRight.See)) throw NetmapException.Create(name, "VALE_LIST", Errno.ENOENT, $"no switch {swName}");
        req.BridgeIndex = (ushort)sw.Index;
        req.PortIndex = NetmapConstants.BridgeNoPort;
        if (colon >= 0 && FindPort(name) is { } p && p.Switch == sw && CanSee(p, caller)) req.PortIndex = p.PortIndex;
    }

    /// <summary>
    /// VALE_LIST with an empty name: the first port at or after (bridge_idx, port_idx) that the caller may see, with its
    /// full name. Our extension: bridge_idx <see cref="NetmapConstants.MaxBridges"/> (one past the last switch, where
    /// netmap's iteration never goes) lists the persistent ports attached to no switch, by name, port_idx counting them.
    /// </summary>
    public string ListNext(ref NmReqValeList req, AccessCaller caller)
    {
        if (req.BridgeIndex == NetmapConstants.MaxBridges)
        {
            var loose = _persistent.Values.Where(p => p.Switch is null && CanSee(p, caller)).OrderBy(p => p.Name, StringComparer.Ordinal).ToList();
            if (req.PortIndex < (uint)loose.Count) return loose[(int)req.PortIndex].Name;
            throw NetmapException.Create("", "VALE_LIST", Errno.ENOENT, "no more unattached persistent ports");
        }
        for (int b = req.BridgeIndex; b < _switches.Length; b++)
        {
            var sw = _switches[b];
            if (sw is null || !sw.Access.Allows(caller, AccessRight.See)) continue;
            for (int p = b == req.BridgeIndex ? (int)Math.Min(req.PortIndex, (uint)NetmapConstants.BridgeMaxPorts) : 0; p < NetmapConstants.BridgeMaxPorts; p++)
            {
                var port = sw.Port(p);
                if (port is null || !CanSee(port, caller)) continue;
                req.BridgeIndex = (ushort)b;
                req.PortIndex = (uint)p;
                return port.Persistent ? sw.Name + ":" + port.Name : port.Name;
            }
        }
        throw NetmapException.Create("", "VALE_LIST", Errno.ENOENT, "no more ports");
    }

    // ---------------------------------------------------------------- lookup

    /// <summary>Installs <paramref name="lookup"/> on switch <paramref name="name"/> (null restores learning);
    /// creates the switch as persistent when it does not exist.</summary>
    public void SetLookup(string name, IValeLookup? lookup, bool create)
    {
        if (!name.StartsWith(NetmapConstants.BridgeNamePrefix, StringComparison.Ordinal))
            throw NetmapException.Create(name, "regops", Errno.EINVAL, $"a VALE switch name starts with \"{NetmapConstants.BridgeNamePrefix}\"");
        SplitName(name + ":x", "regops");
        var sw = FindSwitch(name);
        if (sw is null)
        {
            if (lookup is null) return; // the default on a switch that does not exist: nothing to restore
            if (!create) throw NetmapException.Create(name, "regops", Errno.ENXIO, "no such switch");
            sw = GetOrCreateSwitch(name, name, "regops", null);
            sw.Persistent = true;
        }
        sw.SetLookup(lookup);
        if (lookup is null)
        {
            sw.Persistent = false; // kept only for its custom lookup: an empty default switch goes, as in netmap
            DropSwitchIfEmpty(sw);
        }
    }

    public void Dispose()
    {
        ValeMetrics.Unregister(this);
        foreach (var w in _workers) w.Dispose();
        _workers = [];
    }
}
