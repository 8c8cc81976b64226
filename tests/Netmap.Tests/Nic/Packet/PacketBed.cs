using Netmap.Abi;
using Netmap.Adapters.Nic.Packet;
using Netmap.Interop;
using Netmap.Memory;
using Netmap.Rings;
using Netmap.Tests.Infrastructure;

namespace Netmap.Tests.Nic.Packet;

/// <summary>
/// What NicAdapter does for <c>netmap:IF@conf:backend=afpacket</c>, by hand, with nothing in the root namespace:
/// namespaces "nm" (the interface in netmap mode) and "peer" joined by a veth; a private region with one TX and one
/// RX ring; the <see cref="PacketAttachment"/> opened from inside "nm"; the krings and a <see cref="PacketQueue"/>
/// over the socket; a <see cref="PacketPeer"/> on the other end. Send/Receive drive the rings as a netmap user.
/// </summary>
internal sealed class PacketBed : IDisposable
{
    public const uint Token = 1;

    private readonly RingFactory.CreatedRing _txRing, _rxRing;

    public PacketBed(uint slots = 256, int mtu = 1500, bool attach = true)
    {
        Lab = new NetworkLab();
        try
        {
            NsNetmap = Lab.Namespace("pkn");
            NsPeer = Lab.Namespace("pkp");
            // The veth is made here rather than by NetworkLab.Veth to give it an interface index of its own: in fresh
            // namespaces every test's veth would otherwise be index 2, and the tcx links (whose fdinfo names only
            // the index) of tests running side by side could not be told apart.
            IfIndex = Random.Shared.Next(10_000, 2_000_000);
            Dev = $"pkn{IfIndex}";
            PeerDev = $"pkp{IfIndex}";
            Lab.Exec(NsNetmap, $"ip link add {Dev} index {IfIndex} numtxqueues 1 numrxqueues 1 type veth peer name {PeerDev} numtxqueues 1 numrxqueues 1");
            Lab.Exec(NsNetmap, $"ip link set {PeerDev} netns {NsPeer}");
            Lab.PrepareLink(NsNetmap, Dev, mtu == 1500 ? 0 : mtu);
            Lab.PrepareLink(NsPeer, PeerDev, mtu == 1500 ? 0 : mtu);
            Assert.Equal(IfIndex, NamespaceThread.Run(NsNetmap, () => PacketNetns.IndexOf(Dev)));
            Region = MemoryRegion.Create(11, AllocatorParameters.ForPrivatePort(2, slots, 2, slots, 0, 0), isGlobal: false);
            _rxRing = RingFactory.CreateWithBuffers(Region, Region.Ledger.CreateOwner(Dev), slots, isTx: false, ringId: 0, KringKind.PacketRx, Dev);
            _txRing = RingFactory.CreateWithBuffers(Region, Region.Ledger.CreateOwner(Dev), slots, isTx: true, ringId: 0, KringKind.PacketTx, Dev);
            Layout = RegionLayout.Read(Region.Mapping, Region.MemSize, "test");
            Tx = Kring.Open(Region.Mapping, Layout, _txRing.Offset, "test");
            Rx = Kring.Open(Region.Mapping, Layout, _rxRing.Offset, "test");
            Peer = PacketPeer.Open(NsPeer, PeerDev);
            if (attach) Attach();
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public NetworkLab Lab { get; }
    public string NsNetmap { get; } = "";
    public string NsPeer { get; } = "";
    /// <summary>The interface in netmap mode (inside <see cref="NsNetmap"/>).</summary>
    public string Dev { get; } = "";
    /// <summary>Its veth peer (inside <see cref="NsPeer"/>).</summary>
    public string PeerDev { get; } = "";
    public int IfIndex { get; }
    public MemoryRegion Region { get; } = null!;
    public RegionLayout Layout { get; }
    public Kring Tx { get; } = null!;
    public Kring Rx { get; } = null!;
    public PacketPeer Peer { get; } = null!;
    public PacketAttachment? Attachment { get; private set; }
    public PacketQueue? Queue { get; private set; }
    public RingFactory.CreatedRing TxRing => _txRing;
    public RingFactory.CreatedRing RxRing => _rxRing;

    public int Fd => Attachment!.QueueFd(0);

    /// <summary>Opens the attachment inside the netmap namespace and the queue over its descriptor.</summary>
    public void Attach()
    {
        Attachment = NamespaceThread.Run(NsNetmap, () => PacketAttachment.Open(Dev, IfIndex, Region, [_txRing], [_rxRing]));
        Queue = PacketQueue.Open(Attachment.QueueFd(0), Tx, Rx, Region.Mapping, Layout, "test");
    }

    /// <summary>Closes the queue and the attachment (the interface goes back to the host stack).</summary>
    public void Detach()
    {
        Queue?.Dispose(); Queue = null;
        Attachment?.Dispose(); Attachment = null;
    }

    public bool RxSync() => Queue!.RxSync(Rx, Token);
    public bool TxSync() => Queue!.TxSync(Tx, Token);

    /// <summary>Kernel drops (RX ring full) since the last call.</summary>
    public uint KernelDrops()
    {
        Assert.True(PacketSocket.TryReadStatistics(Fd, out _, out uint drops));
        return drops;
    }

    /// <summary>Takes up to <paramref name="max"/> frames from [head, tail) of the RX ring (NS_MOREFRAG chains
    /// joined), releasing their slots (head moves; the next rxsync returns them).</summary>
    public int Take(List<byte[]> into, int max = int.MaxValue)
    {
        var ring = Rx.Ring;
        uint h = ring.Head;
        int taken = 0;
        var frame = new List<byte>();
        uint start = h;
        while (h != ring.Tail && taken < max)
        {
            ref var s = ref ring.Slot(h);
            frame.AddRange(ring.Payload(s).ToArray());
            h = ring.Next(h);
            if ((s.Flags & SlotFlags.MoreFragments) == 0)
            {
                into.Add(frame.ToArray());
                frame.Clear();
                taken++;
                start = h;
            }
        }
        ring.Head = ring.Cur = start;
        return taken;
    }

    /// <summary>rxsync and take, waiting on the socket, until <paramref name="count"/> frames arrived in total or
    /// <paramref name="timeoutMs"/> passed; <paramref name="perSync"/> frames at most per rxsync (a slow reader).</summary>
    public List<byte[]> ReceiveFrames(int count, int timeoutMs = 5000, int perSync = int.MaxValue, List<byte[]>? into = null)
    {
        into ??= new List<byte[]>();
        var deadline = Environment.TickCount64 + timeoutMs;
        while (into.Count < count && Environment.TickCount64 < deadline)
        {
            Assert.True(RxSync());
            if (Take(into, perSync) == 0 && Rx.Ring.IsEmpty) FdPoll.WaitReadable(Queue!.WaitFd, 20);
        }
        Assert.True(RxSync());
        Take(into);
        return into;
    }

    /// <summary>Puts <paramref name="frame"/> in the TX ring, split into <paramref name="fragment"/>-byte NS_MOREFRAG
    /// slots; false (nothing written) when the ring lacks room.</summary>
    public bool Put(ReadOnlySpan<byte> frame, int fragment = int.MaxValue)
    {
        var ring = Tx.Ring;
        int per = Math.Min(fragment, (int)ring.BufferSize);
        int need = Math.Max(1, (frame.Length + per - 1) / per);
        if (ring.Space < need) return false;
        uint h = ring.Head;
        for (int at = 0, i = 0; i < need; i++)
        {
            int len = Math.Min(per, frame.Length - at);
            ref var s = ref ring.Slot(h);
            frame.Slice(at, len).CopyTo(ring.Buffer(s.BufferIndex));
            s.Length = (ushort)len;
            s.Flags = i + 1 < need ? SlotFlags.MoreFragments : SlotFlags.None;
            at += len;
            h = ring.Next(h);
        }
        ring.Head = ring.Cur = h;
        return true;
    }

    /// <summary>Puts every frame (txsync whenever the ring is full, waiting for the kernel up to 5 s) and syncs.</summary>
    public void Send(IEnumerable<byte[]> frames, int fragment = int.MaxValue)
    {
        var deadline = Environment.TickCount64 + 5000;
        foreach (var f in frames)
        {
            while (!Put(f, fragment))
            {
                Assert.True(TxSync());
                if (Tx.Ring.Space == 0) Thread.Sleep(1);
                Assert.True(Environment.TickCount64 < deadline, "the TX ring never drained");
            }
        }
        Assert.True(TxSync());
    }

    public void Dispose()
    {
        Detach();
        Peer?.Dispose();
        Region?.Dispose();
        Lab.Dispose();
    }
}
