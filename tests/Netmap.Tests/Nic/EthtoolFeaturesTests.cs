using Netmap.Abi;
using Netmap.Interop;
using Netmap.Tests.Infrastructure;

namespace Netmap.Tests.Nic;

/// <summary>
/// Offload features over the SIOCETHTOOL ioctl (what the lab uses instead of ethtool -K, and what the engine will use
/// on interfaces it captures): read a fresh veth's defaults in a namespace, switch features off and on and check each
/// change with a second read, restore a snapshot, and the errors (no such interface, no such feature, a fixed
/// feature, no CAP_NET_ADMIN, the wrong namespace, a replaced interface).
/// </summary>
public sealed class EthtoolFeaturesTests : IDisposable
{
    private readonly NetworkLab _lab = new();
    private readonly string _ns;

    public EthtoolFeaturesTests()
    {
        _ns = _lab.Namespace("eth");
        _lab.Exec(_ns, "ip link add fa type veth peer name fb");
    }

    public void Dispose() => _lab.Dispose();

    private T In<T>(Func<T> f) => _lab.In(_ns, f);

    [Fact]
    public void Read_AFreshVeth_ShowsTheKernelsNamesAndVethDefaults()
    {
        var f = In(() => EthtoolFeatures.Read("fa"));
        Assert.Equal("fa", f.Interface);
        Assert.Equal(In(() => LinkInfo.IndexOf("fa")), f.IfIndex);
        Assert.Equal(In(NetNamespace.OfCurrentThread), f.Namespace);
        Assert.NotEqual(NetNamespace.OfCurrentThread(), f.Namespace);
        Assert.True(f.Names.Count > 32, $"{f.Names.Count} feature names");
        var named = f.Names.Where(n => n.Length > 0).ToList(); // bits the kernel no longer uses have no name
        Assert.Equal(named.Count, named.Distinct().Count());
        Assert.Equal(named, f.Features.Select(x => x.Name));

        // veth offers checksumming, scatter-gather and segmentation, on by default; GRO is changeable and off.
        foreach (var on in new[] { "tx-checksum-ip-generic", "rx-checksum", "tx-scatter-gather", "tx-tcp-segmentation", "tx-generic-segmentation", "tx-udp-segmentation" })
            Assert.Equal(new OffloadFeature(on, Active: true, Requested: true, Fixed: false), f[on]);
        Assert.Equal(new OffloadFeature("rx-gro", false, false, false), f["rx-gro"]);
        // It has no IPv4-only checksum offload and no LRO: fixed off.
        Assert.Equal(new OffloadFeature("tx-checksum-ipv4", false, false, true), f["tx-checksum-ipv4"]);
        Assert.True(f["rx-lro"].Fixed);
        Assert.Contains("tx-checksum-ipv4: off [fixed]", f.Describe());
    }

    [Fact]
    public void Set_Off_ThenOn_EachVerifiedByASecondRead()
    {
        string[] names = ["tx-checksum-ip-generic", "rx-checksum", "tx-scatter-gather", "tx-tcp-segmentation", "tx-generic-segmentation"];
        var off = In(() => EthtoolFeatures.Set("fa", names.ToDictionary(n => n, _ => false)));
        Assert.False(off.KernelWish);
        Assert.Empty(off.NotApplied);
        var read = In(() => EthtoolFeatures.Read("fa"));
        foreach (var n in names) Assert.Equal(new OffloadFeature(n, false, false, false), read[n]);
        Assert.All(names, n => Assert.Contains(off.Changed, c => c.Name == n && !c.Active));
        // Without a TX checksum offload the kernel drops UDP segmentation too, though nobody asked: reported as changed.
        Assert.False(read.IsActive("tx-udp-segmentation"));
        Assert.True(read["tx-udp-segmentation"].Requested);
        Assert.Contains(off.Changed, c => c.Name == "tx-udp-segmentation");

        var on = In(() => EthtoolFeatures.Set("fa", names.ToDictionary(n => n, _ => true)));
        Assert.Empty(on.NotApplied);
        read = In(() => EthtoolFeatures.Read("fa"));
        foreach (var n in names.Append("tx-udp-segmentation")) Assert.Equal(new OffloadFeature(n, true, true, false), read[n]);

        // GRO: off by default, on, off again.
        In(() => EthtoolFeatures.Set("fa", new Dictionary<string, bool> { ["rx-gro"] = true }));
        Assert.True(In(() => EthtoolFeatures.Read("fa")).IsActive("rx-gro"));
        In(() => EthtoolFeatures.Set("fa", new Dictionary<string, bool> { ["gro"] = false }));
        Assert.False(In(() => EthtoolFeatures.Read("fa")).IsActive("rx-gro"));
    }

    [Fact]
    public void Aliases_AreEthtoolsGroups_AndSkipFixedMembers()
    {
        var change = In(() => EthtoolFeatures.Set("fa", NetworkLab.CaptureOffloads));
        // "tx" is every changeable tx-checksum-* feature (veth: ip-generic and sctp; ipv4, ipv6, fcoe-crc are fixed off).
        Assert.Equal(
            new[] { "rx-checksum", "rx-gro", "tx-checksum-ip-generic", "tx-checksum-sctp", "tx-generic-segmentation",
                "tx-tcp-accecn-segmentation", "tx-tcp-ecn-segmentation", "tx-tcp-mangleid-segmentation", "tx-tcp-segmentation", "tx-tcp6-segmentation" }
                .Where(n => change.Before.Has(n)),
            change.Requested.Keys.Order(StringComparer.Ordinal));
        Assert.All(change.Requested, r => Assert.False(r.Value));
        Assert.All(change.Requested.Keys, n => Assert.False(change.After.IsActive(n)));
        Assert.Empty(change.NotApplied);
        // Again: nothing left to do, nothing sent.
        var again = In(() => EthtoolFeatures.Set("fa", NetworkLab.CaptureOffloads));
        Assert.Empty(again.Changed);
        Assert.Equal("fa: no change", again.ToString());
    }

    [Fact]
    public void Restore_GivesBackTheSnapshotsRequestedFeatures()
    {
        var saved = In(() => EthtoolFeatures.Read("fa"));
        In(() => EthtoolFeatures.Set("fa", new Dictionary<string, bool> { ["tx"] = false, ["sg"] = false, ["gro"] = true, ["rx-gro-list"] = true }));
        var changed = In(() => EthtoolFeatures.Read("fa"));
        Assert.NotEqual(saved.Features, changed.Features);

        var restore = In(() => EthtoolFeatures.Restore(saved));
        Assert.Contains(restore.Changed, c => c.Name == "tx-checksum-ip-generic" && c.Active);
        Assert.Contains(restore.Changed, c => c.Name == "rx-gro" && !c.Active);
        Assert.Equal(saved.Features, In(() => EthtoolFeatures.Read("fa")).Features);
        // Restoring what already is sends nothing.
        Assert.Empty(In(() => EthtoolFeatures.Restore(saved)).Changed);
    }

    [Fact]
    public void MissingInterface_IsEnodev_NamingItAndTheOperation()
    {
        var e = Assert.Throws<NetmapException>(() => In(() => EthtoolFeatures.Read("nosuch0")));
        Assert.Equal(Errno.ENODEV, e.Errno);
        Assert.StartsWith("nosuch0: ", e.Message);
        Assert.Contains("ENODEV", e.Message);
        Assert.Contains("no such interface in this network namespace", e.Message);

        // fa exists in the lab's namespace only.
        Assert.Equal(Errno.ENODEV, Assert.Throws<NetmapException>(() => EthtoolFeatures.Read("fa")).Errno);
        e = Assert.Throws<NetmapException>(() => In(() => EthtoolFeatures.Set("nosuch0", NetworkLab.CaptureOffloads)));
        Assert.Equal(Errno.ENODEV, e.Errno);

        Assert.Equal(Errno.EINVAL, Assert.Throws<NetmapException>(() => EthtoolFeatures.Read("a-name-far-too-long")).Errno);
        Assert.Equal(Errno.EINVAL, Assert.Throws<NetmapException>(() => EthtoolFeatures.Read("")).Errno);
    }

    [Fact]
    public void UnknownFeature_IsEinval_AndFixedFeature_IsEopnotsupp_AndNothingChanges()
    {
        var before = In(() => EthtoolFeatures.Read("fa"));
        var e = Assert.Throws<NetmapException>(() => In(() => EthtoolFeatures.Set("fa", new Dictionary<string, bool> { ["rx-gro"] = true, ["tx-warp-drive"] = false })));
        Assert.Equal(Errno.EINVAL, e.Errno);
        Assert.Contains("fa: set tx-warp-drive off: EINVAL", e.Message);

        e = Assert.Throws<NetmapException>(() => In(() => EthtoolFeatures.Set("fa", new Dictionary<string, bool> { ["rx-gro"] = true, ["tx-checksum-ipv4"] = true })));
        Assert.Equal(Errno.EOPNOTSUPP, e.Errno);
        Assert.Contains("fa: set tx-checksum-ipv4 on: EOPNOTSUPP, the device cannot change it (fixed off)", e.Message);
        Assert.Equal(before.Features, In(() => EthtoolFeatures.Read("fa")).Features);

        // Asking a fixed feature for the state it has is fine; so is LRO off on a device without LRO.
        Assert.Empty(In(() => EthtoolFeatures.Set("fa", new Dictionary<string, bool> { ["tx-checksum-ipv4"] = false, ["lro"] = false })).Requested);

        // lo checksums in software, for good: "rx off" has no changeable member.
        e = Assert.Throws<NetmapException>(() => In(() => EthtoolFeatures.Set("lo", new Dictionary<string, bool> { ["rx"] = false })));
        Assert.Equal(Errno.EOPNOTSUPP, e.Errno);
        Assert.Contains("lo: set rx off: EOPNOTSUPP", e.Message);
        Assert.Contains("rx-checksum: on [fixed]", e.Message);
    }

    [Fact]
    public void WithoutCapNetAdmin_SetIsEperm_ReadStillWorks()
    {
        var (read, failure, nothingToDo) = In(() =>
        {
            // This thread only: capabilities are per thread, the rest of the test process keeps them.
            ThreadCapabilities.Drop(Capabilities.NetAdmin);
            Assert.False(ThreadCapabilities.Has(Capabilities.NetAdmin));
            var r = EthtoolFeatures.Read("fa");
            var e = Assert.Throws<NetmapException>(() => EthtoolFeatures.Set("fa", new Dictionary<string, bool> { ["tx"] = false }));
            var none = EthtoolFeatures.Set("fa", new Dictionary<string, bool> { ["gro"] = false }); // already off: no ioctl
            return (r, e, none);
        });
        Assert.True(ThreadCapabilities.Has(Capabilities.NetAdmin));
        Assert.True(read.IsActive("tx-checksum-ip-generic"));
        Assert.Equal(Errno.EPERM, failure.Errno);
        Assert.Equal("fa: ETHTOOL_SFEATURES: EPERM, changing offloads needs CAP_NET_ADMIN", failure.Message);
        Assert.Empty(nothingToDo.Changed);
        Assert.True(In(() => EthtoolFeatures.Read("fa")).IsActive("tx-checksum-ip-generic"));
    }

    [Fact]
    public void Restore_RefusesAnotherNamespace_AndAReplacedInterface()
    {
        var saved = In(() => EthtoolFeatures.Read("fa"));
        var e = Assert.Throws<NetmapException>(() => EthtoolFeatures.Restore(saved));
        Assert.Equal(Errno.EINVAL, e.Errno);
        Assert.Contains("fa: restore offload features: EINVAL, the calling thread is not in the network namespace", e.Message);

        _lab.Exec(_ns, "ip link del fa");
        e = Assert.Throws<NetmapException>(() => In(() => EthtoolFeatures.Restore(saved)));
        Assert.Equal(Errno.ENODEV, e.Errno);

        _lab.Exec(_ns, "ip link add fa type veth peer name fb");
        e = Assert.Throws<NetmapException>(() => In(() => EthtoolFeatures.Restore(saved)));
        Assert.Equal(Errno.ENODEV, e.Errno);
        Assert.Contains("the interface was replaced", e.Message);
    }
}
