namespace Netmap.Tests.Api;

/// <summary>
/// Pins the public surface of Netmap.dll: the list of public types (nested ones included), so that adding,
/// removing or moving one is a deliberate change made here too. The rule it follows: the API a program uses to open
/// ports and move packets is in the root namespace <c>Netmap</c>; the request bodies of netmap's control ABI that
/// <see cref="NetmapControl"/> takes and returns, and netmap's constants, in <c>Netmap.Abi</c>; everything else is internal.
/// </summary>
public class PublicSurfaceTests
{
    private static readonly string[] Expected =
    [
        "Netmap.Abi.NetmapConstants",
        "Netmap.Abi.NmReqPoolsInfo",
        "Netmap.Abi.NmReqPortInfoGet",
        "Netmap.Abi.NmReqValeNewInterface",
        "Netmap.Abi.NmReqValePolling",
        "Netmap.Abi.NmReqValePortStats",
        "Netmap.DaemonLocator",
        "Netmap.EngineLimits",
        "Netmap.Errno",
        "Netmap.IPacketHandler",
        "Netmap.IValeLookup",
        "Netmap.InterfaceFlags",
        "Netmap.LearningLookup",
        "Netmap.NetmapControl",
        "Netmap.NetmapEngine",
        "Netmap.NetmapException",
        "Netmap.NetmapHost",
        "Netmap.NetmapInterface",
        "Netmap.NetmapPort",
        "Netmap.NetmapPortOptions",
        "Netmap.NetmapRing",
        "Netmap.NetmapSlot",
        "Netmap.NicBackendKind",
        "Netmap.PacketHandler",
        "Netmap.PeerState",
        "Netmap.PollEvents",
        "Netmap.PortBridge",
        "Netmap.PortConfig",
        "Netmap.PortSpec",
        "Netmap.PortSpec+ExtMemOption",
        "Netmap.PortSpec+OffsetOption",
        "Netmap.PortSpecParser",
        "Netmap.ReceivedBatch",
        "Netmap.ReceivedBatch+Enumerator",
        "Netmap.RegisterFlags",
        "Netmap.RegisterMode",
        "Netmap.RingFlags",
        "Netmap.SlotFlags",
        "Netmap.ValeDestination",
        "Netmap.ValeHash",
        "Netmap.ValePortListing",
    ];

    [Fact]
    public void PublicTypes_AreExactlyTheIntendedOnes()
    {
        var actual = typeof(NetmapPort).Assembly.GetExportedTypes().Select(t => t.FullName!).Order(StringComparer.Ordinal).ToArray();
        Assert.True(Expected.SequenceEqual(actual),
            "public types changed; the list is now:\n" + string.Join("\n", actual.Select(a => $"        \"{a}\",")));
    }

    [Fact]
    public void PublicTypes_LiveInTheRootNamespace_OrInAbi()
    {
        foreach (var t in typeof(NetmapPort).Assembly.GetExportedTypes())
            Assert.True(t.Namespace is "Netmap" or "Netmap.Abi", $"{t.FullName} is public outside Netmap and Netmap.Abi");
    }
}
