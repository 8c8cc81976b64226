using System.Buffers.Binary;
using Netmap.Abi;
using Netmap.Tests.Infrastructure;

namespace Netmap.Tests.Nic.Tap;

/// <summary>
/// Test objective: the rings of <c>netmap:tapN</c> exchange frames with the host stack. A frame put in the TX ring and
/// synced is received by the host stack as if it arrived on tapN (it answers ARP and ping), what the host stack
/// transmits on tapN appears in the RX ring (the answers), long frames travel as NS_MOREFRAG chains both ways,
/// bad slots are counted and skipped, and the syncs allocate nothing.
/// Operations: a namespace per test (IPv6 off, so the host stack sends nothing unasked), a TAP created in it with
/// 10.77.0.1/24; the test plays 10.77.0.2 at <see cref="TapFrames.OurMac"/>.
/// </summary>
public sealed class TapQueueTests : IDisposable
{
    private static readonly byte[] HostIp = [10, 77, 0, 1], OurIp = [10, 77, 0, 2];
    private readonly NetworkLab _lab = new();
    private readonly string _ns;
    private readonly string _dev = "tap" + Random.Shared.Next(100_000, 999_999);

    public TapQueueTests()
    {
        _ns = _lab.Namespace("tapq");
        _lab.Exec(_ns, "sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1");
    }

    public void Dispose() => _lab.Dispose();

    private TapRig OpenWithAddress(uint slots = 64)
    {
        var rig = TapRig.Open(_ns, _dev, slots);
        _lab.Exec(_ns, $"ip addr add 10.77.0.1/24 dev {_dev}");
        return rig;
    }

    /// <summary>The TAP's own MAC, and a permanent neighbour entry for us, so the host answers ping without ARP.</summary>
    private byte[] PrepareForPing()
    {
        _lab.Exec(_ns, $"ip neigh replace 10.77.0.2 lladdr {string.Join(":", TapFrames.OurMac.Select(b => b.ToString("x2")))} dev {_dev} nud permanent");
        string brief = _lab.Exec(_ns, $"ip -br link show dev {_dev}");
        string mac = brief.Split(' ', StringSplitOptions.RemoveEmptyEntries)[2];
        return Convert.FromHexString(mac.Replace(":", ""));
    }

    [Fact]
    public void ArpRequest_WrittenToTheTxRing_IsAnsweredByTheHostStack_IntoTheRxRing()
    {
        using var rig = OpenWithAddress();
        rig.Send(TapFrames.ArpRequest(OurIp, HostIp));
        Assert.Equal(1u, rig.Tx.State.HwCur);
        Assert.Equal(0u, rig.Tx.Ring.Tail); // written slots are free at once: hwtail = hwcur - 1
        Assert.Equal(1ul, rig.Tx.State.Slots);
        Assert.Equal(60ul, rig.Tx.State.Bytes);

        var got = rig.Receive(f => TapFrames.IsArpReply(f, HostIp, out _));
        Assert.NotNull(got);
        Assert.True(TapFrames.IsArpReply(got.Value.Frame, HostIp, out var mac));
        Assert.Equal(1, got.Value.Fragments);
        Assert.Equal(PrepareForPing(), mac); // the answer comes from the TAP's address
        Assert.True(rig.Rx.State.Slots >= 1);
        Assert.Equal(0ul, rig.Rx.State.BackendDrops + rig.Rx.State.BadIndices + rig.Tx.State.BackendDrops + rig.Tx.State.BadIndices);
    }

    [Fact]
    public void IcmpEchoRequest_GetsAnEchoReplyWithTheSamePayload()
    {
        using var rig = OpenWithAddress();
        var tapMac = PrepareForPing();
        var req = TapFrames.EchoRequest(tapMac, OurIp, HostIp, id: 0x77, seq: 1);
        rig.Send(req);
        var got = rig.Receive(f => TapFrames.IsEchoReply(f, HostIp, 0x77, 1));
        Assert.NotNull(got);
        var reply = got.Value.Frame;
        Assert.Equal(req.Length, reply.Length);
        Assert.Equal(req.AsSpan(42).ToArray(), reply.AsSpan(42).ToArray());
        Assert.Equal(TapFrames.OurMac, reply[..6]);
    }

    [Fact]
    public void LongEcho_SentAsAMoreFragChain_IsGathered_AndItsReplyArrivesAsAChain()
    {
        using var rig = OpenWithAddress();
        _lab.Exec(_ns, $"ip link set dev {_dev} mtu 9000");
        var tapMac = PrepareForPing();
        var req = TapFrames.EchoRequest(tapMac, OurIp, HostIp, id: 0x78, seq: 2, frameLength: 5000);
        rig.Send(req, fragment: 1500); // 4 slots
        Assert.Equal(4u, rig.Tx.State.HwCur);
        Assert.Equal(4ul, rig.Tx.State.Slots);
        var got = rig.Receive(f => TapFrames.IsEchoReply(f, HostIp, 0x78, 2));
        Assert.NotNull(got);
        Assert.Equal(3, got.Value.Fragments); // 5000 bytes in 2048-byte buffers
        Assert.Equal(req.Length, got.Value.Frame.Length);
        Assert.Equal(req.AsSpan(42).ToArray(), got.Value.Frame.AsSpan(42).ToArray());
    }

    [Fact]
    public void UnfinishedChain_WaitsForItsLastSlot_ThenGoesOut()
    {
        using var rig = OpenWithAddress();
        var arp = TapFrames.ArpRequest(OurIp, HostIp);
        var ring = rig.Tx.Ring;
        ref var s0 = ref ring.Slot(0);
        arp.AsSpan(0, 30).CopyTo(ring.Buffer(s0.BufferIndex));
        s0.Length = 30; s0.Flags = SlotFlags.MoreFragments;
        ring.Head = ring.Cur = 1;
        Assert.True(rig.Queue.TxSync(rig.Tx, TapRig.Token));
        Assert.Equal(0u, rig.Tx.State.HwCur); // nothing written yet
        Assert.Equal(ring.NumSlots - 1, ring.Tail);

        ref var s1 = ref ring.Slot(1);
        arp.AsSpan(30).CopyTo(ring.Buffer(s1.BufferIndex));
        s1.Length = 30; s1.Flags = 0;
        ring.Head = ring.Cur = 2;
        Assert.True(rig.Queue.TxSync(rig.Tx, TapRig.Token));
        Assert.Equal(2u, rig.Tx.State.HwCur);
        Assert.NotNull(rig.Receive(f => TapFrames.IsArpReply(f, HostIp, out _)));
    }

    [Fact]
    public void BadSlotsAndRefusedFrames_AreCountedAndSkipped_TheRingKeepsGoing()
    {
        using var rig = OpenWithAddress();
        var ring = rig.Tx.Ring;
        ref var bad = ref ring.Slot(0);
        uint saved = bad.BufferIndex;
        bad.BufferIndex = 1; bad.Length = 60; // reserved buffer
        ref var runt = ref ring.Slot(1);
        runt.Length = 10; // shorter than an Ethernet header: the TAP refuses it
        ring.Head = ring.Cur = 2;
        Assert.True(rig.Queue.TxSync(rig.Tx, TapRig.Token));
        Assert.Equal(1ul, rig.Tx.State.BadIndices);
        Assert.Equal(1ul, rig.Tx.State.BackendDrops);
        Assert.Equal(2u, rig.Tx.State.HwCur);
        Assert.Equal(1u, ring.Tail);
        ring.Slot(0).BufferIndex = saved;

        rig.Send(TapFrames.ArpRequest(OurIp, HostIp));
        Assert.NotNull(rig.Receive(f => TapFrames.IsArpReply(f, HostIp, out _)));
    }

    [Fact]
    public void FramesBeyondTheRxRing_WaitInTheKernel_UntilSlotsAreReleased()
    {
        using var rig = OpenWithAddress(slots: 8);
        for (int i = 0; i < 10; i++) rig.Send(TapFrames.ArpRequest(OurIp, HostIp));
        var rx = rig.Rx.Ring;
        int seen = 0;
        for (int tries = 0; tries < 100 && seen < 10; tries++)
        {
            Assert.True(rig.Queue.RxSync(rig.Rx, TapRig.Token));
            Assert.True(rx.Space <= 7, "one slot always stays empty");
            for (uint i = rx.Head; i != rx.Tail; i = rx.Next(i))
            {
                var f = rx.Payload(rx.Slot(i)).ToArray();
                if (TapFrames.IsArpReply(f, HostIp, out _)) seen++;
            }
            rx.Head = rx.Cur = rx.Tail;
            if (seen < 10) Interop.FdPoll.WaitReadable(rig.Queue.WaitFd, 50);
        }
        Assert.Equal(10, seen);
        Assert.Equal(0ul, rig.Rx.State.BackendDrops);
    }

    [Fact]
    public void TxSyncAndRxSync_DoNotAllocate()
    {
        using var rig = OpenWithAddress();
        var arp = TapFrames.ArpRequest(OurIp, HostIp);
        var tx = rig.Tx.Ring;
        var rx = rig.Rx.Ring;
        void Round()
        {
            uint h = tx.Head;
            ref var s = ref tx.Slot(h);
            arp.CopyTo(tx.Buffer(s.BufferIndex));
            s.Length = (ushort)arp.Length;
            tx.Head = tx.Cur = tx.Next(h);
            rig.Queue.TxSync(rig.Tx, TapRig.Token);
            rig.Queue.RxSync(rig.Rx, TapRig.Token);
            rx.Head = rx.Cur = rx.Tail;
        }
        for (int i = 0; i < 200; i++) Round();
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 2000; i++) Round();
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(0L, allocated);
        Assert.Equal(2200ul, rig.Tx.State.Slots);
        Assert.True(rig.Rx.State.Slots > 1000, $"only {rig.Rx.State.Slots} replies received");
    }
}
