using Netmap.Abi;
using Netmap.Interop;
using Netmap.Memory;

namespace Netmap.Adapters.Nic;

/// <summary>
/// The interfaces in netmap mode, keyed by (network namespace, name): <c>veth0</c> of two namespaces are two ports.
/// Used under the engine lock.
/// </summary>
internal sealed class NicSystem : IDisposable
{
    private readonly Dictionary<(ulong Netns, string Name), NicAdapter> _adapters = new();
    private readonly AllocatorRegistry _allocators;
    private readonly Action<string>? _log;

    public NicSystem(AllocatorRegistry allocators, Action<string>? log)
    {
        _allocators = allocators;
        _log = log;
    }

    public int Count => _adapters.Count;

    /// <summary>True when <paramref name="name"/> should be read as a TAP device (<c>tapN</c>, netmap's naming).</summary>
    public static bool IsTapName(string name) => name.StartsWith("tap", StringComparison.Ordinal) && name.Length > 3;

    /// <summary>The interface named <paramref name="name"/> in the namespace of <paramref name="peerPid"/> (0 = the
    /// calling thread's), or null when it is not in netmap mode.</summary>
    public NicAdapter? Find(string name, int peerPid) => _adapters.GetValueOrDefault((NamespaceOf(peerPid), name));

    /// <summary>The network namespace of <paramref name="peerPid"/>, or of the calling thread for 0.</summary>
    private static ulong NamespaceOf(int peerPid) => peerPid > 0 ? NetNamespace.OfProcess(peerPid) : NetNamespace.OfCurrentThread();

    /// <summary>True when a Linux interface (or a TAP name) of that name can be opened from <paramref name="peerPid"/>'s namespace.</summary>
    public bool Exists(string name, int peerPid) => IsTapName(name) || InterfaceExists(name, peerPid);

    /// <summary>True when the namespace of <paramref name="peerPid"/> (0 = the calling thread's) has an interface of that name.</summary>
    public bool InterfaceExists(string name, int peerPid)
        => name.Length is > 0 and < 16 && (peerPid > 0 ? NetNamespace.RunIn(peerPid, name, () => LinkInfo.IndexOf(name)) : LinkInfo.IndexOf(name)) != 0;

    /// <summary>Finds the interface or puts it into netmap mode, in the network namespace of <paramref name="peerPid"/>.</summary>
    public NicAdapter FindOrCreate(string name, int peerPid, NicBackendKind backend, in NmReqRegister req, AccessCaller caller)
    {
        ulong ns = NamespaceOf(peerPid);
        if (_adapters.TryGetValue((ns, name), out var existing))
        {
            if (existing.AttachedTo is { } sw)
                throw NetmapException.Create(name, "NIOCCTRL REGISTER", Errno.EBUSY, $"the interface is attached to {sw}");
            return existing;
        }
        if (IsTapName(name) && backend == NicBackendKind.Auto) backend = NicBackendKind.Tap;
        RequireCapabilities(name, backend);
        var copy = req;
        var adapter = peerPid > 0
            ? NetNamespace.RunIn(peerPid, name, () => NicAdapter.Create(name, ns, backend, copy, _allocators, _log, OnUnused, caller))
            : NicAdapter.Create(name, ns, backend, copy, _allocators, _log, OnUnused, caller);
        _adapters.Add((ns, name), adapter);
        _log?.Invoke($"{name}: netmap mode on ({adapter.Attachment.Description}, {adapter.TxRings.Length} queue(s))");
        return adapter;
    }

    private static void RequireCapabilities(string name, NicBackendKind backend)
    {
        bool ok = Capabilities.Has(Capabilities.NetAdmin)
            && (backend == NicBackendKind.Tap || Capabilities.Has(Capabilities.NetRaw))
            && (backend is NicBackendKind.Tap or NicBackendKind.Packet || Capabilities.Has(Capabilities.Bpf) || Capabilities.Has(Capabilities.SysAdmin));
        if (!ok)
            throw NetmapException.Create(name, "NIOCCTRL REGISTER", Errno.EPERM,
                "putting a Linux interface into netmap mode needs root, or CAP_NET_ADMIN + CAP_NET_RAW + CAP_BPF, in the process that runs the engine (netmapd holds them; an embedded engine needs them itself)");
    }

    private void OnUnused(NicAdapter adapter)
    {
        _adapters.Remove((adapter.Namespace, adapter.Name));
        try
        {
            adapter.Destroy();
        }
        finally
        {
            adapter.Charge?.Dispose();
            _allocators.Release(adapter.Region);
        }
        _log?.Invoke($"{adapter.Name}: netmap mode off, back to the host stack");
    }

    public void Dispose()
    {
        foreach (var a in _adapters.Values.ToArray()) OnUnused(a);
    }
}
