using System.Diagnostics;
using Netmap.Rings;
using Netmap.Tests.Infrastructure;
using Netmap.Tests.Nic.Packet;
using Netmap.Tests.Nic.Tap;
using Netmap.Tests.Nic.Xdp;

namespace Netmap.Tests.Nic;

/// <summary>
/// Property, for the syncs of Linux interface rings (AF_XDP, AF_PACKET, TAP), which other processes bound to the same
/// queue share: with random values in every field of both krings, ring headers and slots, while the peer keeps
/// sending, every sync returns quickly without an exception and writes nothing outside its rings.
/// </summary>
public sealed class NicSyncGarbageTests
{
    private const int Rounds = 300;

    private static void Run(Kring tx, Kring rx, Func<bool> txSync, Func<bool> rxSync, Action send, RegionLayout layout)
    {
        var canaries = MemoryCanary.Region(tx.Ring.Memory, layout, "interface").ToList();
        var rng = new Random(42);
        var slowest = TimeSpan.Zero;
        for (int round = 0; round < Rounds; round++)
        {
            if (round % 10 == 0) send();
            SharedGarbage.Scribble(tx, rng);
            SharedGarbage.Scribble(rx, rng);
            var clock = Stopwatch.StartNew();
            for (int i = 0; i < 3; i++) { txSync(); rxSync(); }
            if (clock.Elapsed > slowest) slowest = clock.Elapsed;
        }
        SharedGarbage.ReleaseLocks([tx, rx]);
        Assert.True(slowest < TimeSpan.FromSeconds(1), $"a round took {slowest}");
        foreach (var c in canaries) c.Check();
        Assert.True(tx.State.BadIndices + rx.State.BadIndices + tx.State.Reinits + rx.State.Reinits > 0);
    }

    [Fact]
    public void XdpSyncs_OnGarbage_Return()
    {
        using var bed = new XdpBed(slots: 256);
        using var peer = bed.OpenPeer();
        var frame = XdpFrames.Make(1, 100);
        Run(bed.Tx[0], bed.Rx[0], () => bed.TxSync(), () => bed.RxSync(), () => { for (int i = 0; i < 20; i++) peer.Send(frame); }, bed.Layout);
    }

    [Fact]
    public void PacketSyncs_OnGarbage_Return()
    {
        using var bed = new PacketBed(slots: 256);
        var frame = PacketFrames.Make(1, 100);
        Run(bed.Tx, bed.Rx, bed.TxSync, bed.RxSync, () => { for (int i = 0; i < 20; i++) bed.Peer.Send(frame); }, bed.Layout);
    }

    [Fact]
    public void TapSyncs_OnGarbage_Return()
    {
        using var lab = new NetworkLab();
        string ns = lab.Namespace("tapg");
        string dev = "tap" + Random.Shared.Next(100_000, 999_999);
        using var rig = TapRig.Open(ns, dev, slots: 64);
        lab.Exec(ns, $"ip addr add 10.78.0.1/24 dev {dev}");
        var layout = RegionLayout.Read(rig.Region.Mapping, rig.Region.MemSize, "tap");
        // TX writes whatever the garbage slots describe into the host stack; RX takes what the host sends, if anything.
        Run(rig.Tx, rig.Rx, () => rig.Queue.TxSync(rig.Tx, TapRig.Token), () => rig.Queue.RxSync(rig.Rx, TapRig.Token),
            () => { }, layout);
    }
}
