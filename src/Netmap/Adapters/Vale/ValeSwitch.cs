using Netmap.Abi;
using Netmap.Memory;

namespace Netmap.Adapters.Vale;

/// <summary>
/// One VALE switch (netmap's nm_bridge): up to 254 ports by index, the active-port snapshot forwarders iterate for
/// broadcast, and the lookup. Membership changes happen under the engine lock and the switch's write lock; a
/// forwarder holds the read lock for a whole flush, so a port never leaves while a packet is being copied to it.
/// </summary>
internal sealed class ValeSwitch
{
    private readonly ValePort?[] _ports = new ValePort?[NetmapConstants.BridgeMaxPorts];
    private IValeLookup _lookup;

    public ValeSwitch(string name, int index, ObjectAccess access)
    {
        Name = name;
        Index = index;
        Access = access;
        Learning = new LearningLookup();
        _lookup = Learning;
    }

    /// <summary>"vale0".</summary>
    public string Name { get; }
    /// <summary>bridge_idx (0..7).</summary>
    public int Index { get; }
    /// <summary>Who made the switch, and who else may see it and add ports to it.</summary>
    public ObjectAccess Access { get; }
    public SwitchLock Lock { get; } = new();
    /// <summary>Active ports in port-index order; replaced (never mutated) under the write lock.</summary>
    public ValePort[] Active { get; private set; } = [];
    public int Count => Active.Length;
    /// <summary>Kept while a custom lookup is installed (<see cref="NetmapEngine.SetValeLookup"/>), even with no ports.</summary>
    public bool Persistent { get; set; }
    /// <summary>The default learning table (used unless a custom lookup is installed).</summary>
    public LearningLookup Learning { get; }
    public IValeLookup Lookup => _lookup;

    public ValePort? Port(int index) => (uint)index < (uint)_ports.Length ? _ports[index] : null;

    public ValePort? Find(string portName)
    {
        foreach (var p in Active) if (p.Name == portName) return p;
        return null;
    }

    /// <summary>Plugs <paramref name="port"/> in at the lowest free index. Caller checked capacity.</summary>
    public byte Attach(ValePort port)
    {
        int idx = Array.IndexOf(_ports, null);
        Lock.EnterWrite();
        try
        {
            _ports[idx] = port;
            port.Switch = this;
            port.PortIndex = (byte)idx;
            Learning.ForgetPort((byte)idx);
            Active = _ports.Where(p => p is not null).ToArray()!;
        }
        finally { Lock.ExitWrite(); }
        return (byte)idx;
    }

    /// <summary>Unplugs <paramref name="port"/>; returns when no forwarder can still be using it through this switch.</summary>
    public void Detach(ValePort port)
    {
        Lock.EnterWrite();
        try
        {
            if (port.Switch != this) return;
            _ports[port.PortIndex] = null;
            port.Switch = null;
            Active = _ports.Where(p => p is not null).ToArray()!;
        }
        finally { Lock.ExitWrite(); }
    }

    /// <summary>Installs <paramref name="lookup"/>, or restores learning (and clears its table) when null.</summary>
    public void SetLookup(IValeLookup? lookup)
    {
        Lock.EnterWrite();
        try
        {
            if (lookup is null) Learning.Reset();
            _lookup = lookup ?? Learning;
        }
        finally { Lock.ExitWrite(); }
    }
}
