using System.Runtime.InteropServices;
using System.Text;
using Netmap.Abi;

namespace Netmap.Interop;

/// <summary>
/// Offload features of a Linux interface (what <c>ethtool -k/-K</c> shows and sets), over the SIOCETHTOOL ioctl of
/// an AF_INET socket: ETHTOOL_GSSET_INFO and ETHTOOL_GSTRINGS for the kernel's feature names (ETH_SS_FEATURES),
/// ETHTOOL_GFEATURES and ETHTOOL_SFEATURES for the bitmaps. The feature bitmap belongs to the network core, not to
/// the driver, so every device answers these (since Linux 2.6.39); the legacy per-feature commands
/// (ETHTOOL_STXCSUM, ...) are the same bits seen through a narrower window and are not needed.
/// Everything acts on the interface of that name in the network namespace of the calling thread (the socket is
/// created there). Reading needs no privilege; setting needs CAP_NET_ADMIN.
/// <code>
/// var saved = EthtoolFeatures.Read("veth0");
/// var change = EthtoolFeatures.Set("veth0", new Dictionary&lt;string, bool&gt; { ["tx"] = false, ["rx-gro"] = false });
/// log(change);                       // "veth0: tx-checksum-ip-generic off, tx-scatter-gather off, ..."
/// EthtoolFeatures.Restore(saved);    // the requested features of the snapshot again
/// </code>
/// Names are the kernel's ("tx-checksum-ip-generic", "tx-tcp-segmentation", "rx-gro", "tx-udp-segmentation") or
/// ethtool's short aliases for groups of them (<see cref="Aliases"/>). Errors are <see cref="NetmapException"/>s
/// naming the interface, the operation and the errno: ENODEV (no such interface here), EPERM (no CAP_NET_ADMIN),
/// EOPNOTSUPP (the device cannot change that feature), EINVAL (no such feature, bad interface name).
/// </summary>
internal static unsafe partial class EthtoolFeatures
{
    private const int AF_INET = 2, SOCK_DGRAM = 2;
    private const uint SIOCGIFINDEX = 0x8933, SIOCETHTOOL = 0x8946;
    private const uint ETHTOOL_GSTRINGS = 0x1b, ETHTOOL_GSSET_INFO = 0x37, ETHTOOL_GFEATURES = 0x3a, ETHTOOL_SFEATURES = 0x3b;
    private const int ETH_SS_FEATURES = 4, ETH_GSTRING_LEN = 32;
    private const int ETHTOOL_F_WISH = 2;
    private const int IfReqSize = 40, IfNameSize = 16;
    /// <summary>The kernel has fewer than 100 features (netdev_features_t is 64 bits); anything far above is garbage.</summary>
    private const int MaxFeatures = 1024;

    [LibraryImport("libc.so.6", SetLastError = true)] private static partial int ioctl(int fd, nuint request, void* arg);

    /// <summary>
    /// ethtool's short names and the kernel features each stands for (<c>ethtool -K IF tx off</c> turns off every
    /// tx-checksum-* feature the device can change). A group leaves out the members the device cannot change; it
    /// fails (EOPNOTSUPP) only when it would change something and no member is changeable.
    /// </summary>
    public static readonly IReadOnlyDictionary<string, Func<string, bool>> Aliases = new Dictionary<string, Func<string, bool>>(StringComparer.Ordinal)
    {
        ["tx"] = n => n.StartsWith("tx-checksum-", StringComparison.Ordinal),
        ["rx"] = n => n == "rx-checksum",
        ["sg"] = n => n.StartsWith("tx-scatter-gather", StringComparison.Ordinal),
        ["tso"] = n => n.StartsWith("tx-tcp", StringComparison.Ordinal) && n.EndsWith("-segmentation", StringComparison.Ordinal),
        ["gso"] = n => n == "tx-generic-segmentation",
        ["gro"] = n => n == "rx-gro",
        ["lro"] = n => n == "rx-lro",
    };

    /// <summary>The offload features of <paramref name="ifName"/> in the calling thread's network namespace.</summary>
    public static InterfaceOffloads Read(string ifName)
    {
        CheckName(ifName);
        int fd = OpenSocket(ifName);
        try { return ReadWith(fd, ifName); }
        finally { Libc.close(fd); }
    }

    /// <summary>
    /// Switches features on (true) or off (false): keys are kernel feature names or <see cref="Aliases"/>. Features
    /// already in the wanted state are left alone (nothing at all to do needs no privilege). Returns what was read
    /// before and after: the kernel may decline a request (<see cref="OffloadChange.NotApplied"/>) and switch other
    /// features as a consequence (<see cref="OffloadChange.Changed"/>). Nothing changes when a name is refused.
    /// </summary>
    public static OffloadChange Set(string ifName, IReadOnlyDictionary<string, bool> wanted)
    {
        ArgumentNullException.ThrowIfNull(wanted);
        CheckName(ifName);
        int fd = OpenSocket(ifName);
        try
        {
            var before = ReadWith(fd, ifName);
            var bits = new Dictionary<int, bool>();
            foreach (var (name, on) in wanted) Resolve(before, name, on, bits);
            return Apply(fd, before, bits);
        }
        finally { Libc.close(fd); }
    }

    /// <summary>
    /// Gives the interface of <paramref name="snapshot"/> back the requested features it had then (the kernel then
    /// derives the active ones again, as it did before). Must run in the snapshot's network namespace (EINVAL
    /// otherwise); ENODEV when the interface is gone or was replaced by another of the same name.
    /// </summary>
    public static OffloadChange Restore(InterfaceOffloads snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        string ifName = snapshot.Interface;
        if (NetNamespace.OfCurrentThread() != snapshot.Namespace)
            throw NetmapException.Create(ifName, "restore offload features", Errno.EINVAL,
                "the calling thread is not in the network namespace the snapshot was taken in");
        int fd = OpenSocket(ifName);
        try
        {
            var now = ReadWith(fd, ifName);
            if (now.IfIndex != snapshot.IfIndex)
                throw NetmapException.Create(ifName, "restore offload features", Errno.ENODEV,
                    $"the interface was replaced (index {now.IfIndex}, the snapshot's was {snapshot.IfIndex})");
            if (!now.Names.SequenceEqual(snapshot.Names))
                throw NetmapException.Create(ifName, "restore offload features", Errno.EPROTO, "the kernel's feature names changed");
            var bits = new Dictionary<int, bool>();
            for (int i = 0; i < now.Names.Count; i++)
                if (!now.IsFixed(i) && now.IsRequested(i) != snapshot.IsRequested(i)) bits[i] = snapshot.IsRequested(i);
            return Apply(fd, now, bits);
        }
        finally { Libc.close(fd); }
    }

    /// <summary>Adds the bits <paramref name="name"/> = <paramref name="on"/> means, or throws (EINVAL, EOPNOTSUPP).</summary>
    private static void Resolve(InterfaceOffloads current, string name, bool on, Dictionary<int, bool> bits)
    {
        string state = on ? "on" : "off";
        if (Aliases.TryGetValue(name, out var member))
        {
            bool any = false, changeable = false;
            for (int i = 0; i < current.Names.Count; i++)
            {
                if (!member(current.Names[i])) continue;
                any = true;
                if (current.IsFixed(i)) continue;
                changeable = true;
                bits[i] = on;
            }
            if (!any)
                throw NetmapException.Create(current.Interface, $"set {name} {state}", Errno.EINVAL, "the kernel has no feature of that group");
            if (!changeable && Enumerable.Range(0, current.Names.Count).Any(i => member(current.Names[i]) && current.IsActive(i) != on))
                throw NetmapException.Create(current.Interface, $"set {name} {state}", Errno.EOPNOTSUPP,
                    $"the device cannot change any of its features ({string.Join(", ", Enumerable.Range(0, current.Names.Count).Where(i => member(current.Names[i])).Select(i => current.At(i)))})");
            return;
        }
        int bit = current.Has(name) ? current.BitOf(name) : -1;
        if (bit < 0)
            throw NetmapException.Create(current.Interface, $"set {name} {state}", Errno.EINVAL,
                $"the kernel has no feature named '{name}' (nor is it one of the aliases {string.Join(", ", Aliases.Keys)})");
        if (current.IsFixed(bit))
        {
            if (current.IsActive(bit) == on) return;
            throw NetmapException.Create(current.Interface, $"set {name} {state}", Errno.EOPNOTSUPP,
                $"the device cannot change it (fixed {(current.IsActive(bit) ? "on" : "off")})");
        }
        bits[bit] = on;
    }

    /// <summary>ETHTOOL_SFEATURES for the bits whose requested state differs, then reads the result.</summary>
    private static OffloadChange Apply(int fd, InterfaceOffloads before, Dictionary<int, bool> bits)
    {
        var requested = new Dictionary<string, bool>(StringComparer.Ordinal);
        int words = before.Words;
        // ethtool_sfeatures: cmd, size, then per word { valid, requested }.
        var cmd = new uint[2 + 2 * words];
        bool any = false;
        foreach (var (bit, on) in bits)
        {
            requested[before.Names[bit]] = on;
            if (before.IsRequested(bit) == on) continue; // asked already: asking again changes nothing
            any = true;
            cmd[2 + 2 * (bit >> 5)] |= 1u << (bit & 31);
            if (on) cmd[3 + 2 * (bit >> 5)] |= 1u << (bit & 31);
        }
        if (!any) return new OffloadChange(before, before, requested, kernelWish: false);
        cmd[0] = ETHTOOL_SFEATURES;
        cmd[1] = (uint)words;
        int ret;
        fixed (uint* p = cmd) ret = Ethtool(fd, before.Interface, p);
        if (ret < 0) throw Failure(before.Interface, "ETHTOOL_SFEATURES", -ret);
        return new OffloadChange(before, ReadWith(fd, before.Interface), requested, (ret & ETHTOOL_F_WISH) != 0);
    }

    private static InterfaceOffloads ReadWith(int fd, string ifName)
    {
        int index = IfIndex(fd, ifName);
        var names = FeatureNames(fd, ifName);
        int words = (names.Length + 31) / 32;
        // ethtool_gfeatures: cmd, size, then per word { available, requested, active, never_changed }.
        var cmd = new uint[2 + 4 * words];
        cmd[0] = ETHTOOL_GFEATURES;
        cmd[1] = (uint)words;
        int ret;
        fixed (uint* p = cmd) ret = Ethtool(fd, ifName, p);
        if (ret < 0) throw Failure(ifName, "ETHTOOL_GFEATURES", -ret);
        // On return size is the kernel's word count: it copied min(ours, its) words. Both come from the same count.
        if (cmd[1] != words)
            throw NetmapException.Create(ifName, "ETHTOOL_GFEATURES", Errno.EPROTO, $"{cmd[1]} feature words for {names.Length} feature names");
        uint[] available = new uint[words], requested = new uint[words], active = new uint[words], never = new uint[words];
        for (int w = 0; w < words; w++)
        {
            available[w] = cmd[2 + 4 * w];
            requested[w] = cmd[3 + 4 * w];
            active[w] = cmd[4 + 4 * w];
            never[w] = cmd[5 + 4 * w];
        }
        return new InterfaceOffloads(ifName, index, NetNamespace.OfCurrentThread(), names, available, requested, active, never);
    }

    /// <summary>The ETH_SS_FEATURES string set: ETHTOOL_GSSET_INFO for its size, ETHTOOL_GSTRINGS for the names.</summary>
    private static string[] FeatureNames(int fd, string ifName)
    {
        // ethtool_sset_info: cmd u32, reserved u32, sset_mask u64, data[1] u32.
        var info = new uint[5];
        info[0] = ETHTOOL_GSSET_INFO;
        info[2] = 1u << ETH_SS_FEATURES;
        int ret;
        fixed (uint* p = info) ret = Ethtool(fd, ifName, p);
        if (ret < 0) throw Failure(ifName, "ETHTOOL_GSSET_INFO", -ret);
        if ((info[2] & 1u << ETH_SS_FEATURES) == 0)
            throw NetmapException.Create(ifName, "ETHTOOL_GSSET_INFO", Errno.EOPNOTSUPP, "the kernel has no feature string set");
        uint count = info[4];
        if (count is 0 or > MaxFeatures)
            throw NetmapException.Create(ifName, "ETHTOOL_GSSET_INFO", Errno.EPROTO, $"{count} feature names");

        // ethtool_gstrings: cmd, string_set, len, then len names of ETH_GSTRING_LEN bytes.
        var buf = new byte[12 + count * ETH_GSTRING_LEN];
        fixed (byte* p = buf)
        {
            ((uint*)p)[0] = ETHTOOL_GSTRINGS;
            ((uint*)p)[1] = ETH_SS_FEATURES;
            ((uint*)p)[2] = count;
            ret = Ethtool(fd, ifName, p);
            if (ret < 0) throw Failure(ifName, "ETHTOOL_GSTRINGS", -ret);
            if (((uint*)p)[2] != count)
                throw NetmapException.Create(ifName, "ETHTOOL_GSTRINGS", Errno.EPROTO, $"{((uint*)p)[2]} names, {count} announced");
        }
        var names = new string[count];
        for (int i = 0; i < count; i++)
        {
            var s = buf.AsSpan(12 + i * ETH_GSTRING_LEN, ETH_GSTRING_LEN);
            int z = s.IndexOf((byte)0);
            names[i] = Encoding.ASCII.GetString(z < 0 ? s : s[..z]);
        }
        return names;
    }

    private static int IfIndex(int fd, string ifName)
    {
        byte* ifr = stackalloc byte[IfReqSize];
        FillName(ifr, ifName);
        if (ioctl(fd, SIOCGIFINDEX, ifr) != 0) throw Failure(ifName, "SIOCGIFINDEX", Libc.LastErrno);
        return *(int*)(ifr + IfNameSize);
    }

    /// <summary>SIOCETHTOOL with ifr_data = <paramref name="cmd"/>: the ioctl's result, or -errno.</summary>
    private static int Ethtool(int fd, string ifName, void* cmd)
    {
        byte* ifr = stackalloc byte[IfReqSize];
        FillName(ifr, ifName);
        *(void**)(ifr + IfNameSize) = cmd;
        int ret = ioctl(fd, SIOCETHTOOL, ifr);
        return ret < 0 ? -Libc.LastErrno : ret;
    }

    private static void FillName(byte* ifr, string ifName)
    {
        new Span<byte>(ifr, IfReqSize).Clear();
        Encoding.ASCII.GetBytes(ifName, new Span<byte>(ifr, IfNameSize - 1));
    }

    private static void CheckName(string ifName)
    {
        ArgumentNullException.ThrowIfNull(ifName);
        if (!TunTap.IsValidName(ifName))
            throw NetmapException.Create(ifName, "offload features", Errno.EINVAL, "not a valid interface name (1 to 15 printable characters, no '/', ':', '%' or space)");
    }

    private static int OpenSocket(string ifName)
    {
        int fd = Libc.socket(AF_INET, SOCK_DGRAM | Libc.SOCK_CLOEXEC, 0);
        if (fd < 0) throw Failure(ifName, "socket(AF_INET, SOCK_DGRAM)", Libc.LastErrno);
        return fd;
    }

    private static NetmapException Failure(string ifName, string op, int errno)
    {
        string detail = errno switch
        {
            (int)Errno.ENODEV => "no such interface in this network namespace",
            (int)Errno.EPERM => "changing offloads needs CAP_NET_ADMIN",
            (int)Errno.EOPNOTSUPP => "the driver does not support it",
            _ => Marshal.GetPInvokeErrorMessage(errno),
        };
        return new NetmapException((Errno)errno, $"{ifName}: {op}: {SystemError.Name(errno)}, {detail}");
    }
}
