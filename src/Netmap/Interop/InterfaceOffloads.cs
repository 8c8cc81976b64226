using Netmap.Abi;

namespace Netmap.Interop;

/// <summary>
/// A snapshot of an interface's offload features (<see cref="EthtoolFeatures.Read"/>): the kernel's feature names
/// (ETH_SS_FEATURES, bit i is <see cref="Names"/>[i]) and, per feature, whether it is changeable, requested and
/// active. Immutable; it also records which interface it was taken from (namespace, index, name), so that
/// <see cref="EthtoolFeatures.Restore"/> gives the features back to that very interface and to no other.
/// </summary>
internal sealed class InterfaceOffloads
{
    private readonly uint[] _available, _requested, _active, _neverChanged;
    private readonly Dictionary<string, int> _bitOf;

    internal InterfaceOffloads(string ifName, int ifIndex, ulong netNamespace, string[] names,
        uint[] available, uint[] requested, uint[] active, uint[] neverChanged)
    {
        Interface = ifName; IfIndex = ifIndex; Namespace = netNamespace; Names = names;
        _available = available; _requested = requested; _active = active; _neverChanged = neverChanged;
        _bitOf = new Dictionary<string, int>(names.Length, StringComparer.Ordinal);
        for (int i = 0; i < names.Length; i++)
            if (names[i].Length > 0) _bitOf.TryAdd(names[i], i);
    }

    /// <summary>The interface name, in the namespace it was read in.</summary>
    public string Interface { get; }

    /// <summary>Its index when the snapshot was taken (a new interface of the same name has another).</summary>
    public int IfIndex { get; }

    /// <summary>The inode of the network namespace of the thread that took the snapshot.</summary>
    public ulong Namespace { get; }

    /// <summary>The kernel's feature names, in bit order ("tx-checksum-ip-generic", "rx-gro", ...).</summary>
    public IReadOnlyList<string> Names { get; }

    /// <summary>Number of 32-bit feature words the kernel uses (ETHTOOL_DEV_FEATURE_WORDS).</summary>
    internal int Words => _active.Length;

    /// <summary>Every named feature, in bit order.</summary>
    public IEnumerable<OffloadFeature> Features
    {
        get
        {
            for (int i = 0; i < Names.Count; i++)
                if (Names[i].Length > 0) yield return At(i);
        }
    }

    /// <summary>True when the kernel has a feature of that name.</summary>
    public bool Has(string name) => _bitOf.ContainsKey(name);

    /// <summary>The feature named <paramref name="name"/> (a kernel name); EINVAL when there is none.</summary>
    public OffloadFeature this[string name] => At(BitOf(name));

    /// <summary>True when the kernel does <paramref name="name"/> on this interface.</summary>
    public bool IsActive(string name) => this[name].Active;

    internal int BitOf(string name)
        => _bitOf.TryGetValue(name, out int bit) ? bit
            : throw NetmapException.Create(Interface, "offload features", Errno.EINVAL, $"the kernel has no feature named '{name}'");

    internal OffloadFeature At(int bit) => new(Names[bit], Get(_active, bit), Get(_requested, bit), IsFixed(bit));

    internal bool IsFixed(int bit) => !Get(_available, bit) || Get(_neverChanged, bit);
    internal bool IsActive(int bit) => Get(_active, bit);
    internal bool IsRequested(int bit) => Get(_requested, bit);

    private static bool Get(uint[] words, int bit) => (words[bit >> 5] >> (bit & 31) & 1) != 0;

    /// <summary>"IF: name: on, name: off [fixed], ..." for the features given, or all of them.</summary>
    public string Describe(IEnumerable<string>? names = null)
        => $"{Interface}: {string.Join(", ", (names ?? Features.Select(f => f.Name)).Select(n => this[n].ToString()))}";

    public override string ToString() => Describe();
}
