using Netmap.Adapters.Nic.Xdp;
using Netmap.Interop;
using Netmap.Memory;
using Netmap.Rings;
using Netmap.Tests.Infrastructure;

namespace Netmap.Tests.Nic.Xdp;

/// <summary>
/// A veth pair between two fresh namespaces: the netmap end (<see cref="Dev"/>, in <see cref="NetmapNs"/>) gets
/// an <see cref="XdpAttachment"/> over rings in a private region, driven by hand like a netmap user; the peer end
/// (<see cref="PeerDev"/>, in <see cref="PeerNs"/>) is reached through an <see cref="XdpPeer"/>. Everything is
/// deleted on Dispose.
/// </summary>
internal sealed class XdpBed : IDisposable
{
    public const uint Token = 7;

    public XdpBed(uint slots = 256, int queues = 1, bool attach = true)
    {
        try { Build(slots, queues, attach); }
        catch { Dispose(); throw; } // a constructor that throws is never disposed: leave no namespace behind
    }

    private void Build(uint slots, int queues, bool attach)
    {
        NetmapNs = Lab.Namespace("xn");
        PeerNs = Lab.Namespace("xp");
        (Dev, PeerDev) = Lab.Veth(peerNamespace: PeerNs, rootNamespace: NetmapNs, queues: queues);
        Region = MemoryRegion.Create(200, AllocatorParameters.ForPrivatePort((uint)queues, slots, (uint)queues, slots, 0, 0), isGlobal: false);
        Layout = RegionLayout.Read(Region.Mapping, Region.MemSize, Dev);
        RxRings = new RingFactory.CreatedRing[queues];
        TxRings = new RingFactory.CreatedRing[queues];
        for (int q = 0; q < queues; q++) RxRings[q] = RingFactory.CreateWithBuffers(Region, Region.Ledger.CreateOwner(Dev), slots, false, (ushort)q, KringKind.XdpRx, Dev);
        for (int q = 0; q < queues; q++) TxRings[q] = RingFactory.CreateWithBuffers(Region, Region.Ledger.CreateOwner(Dev), slots, true, (ushort)q, KringKind.XdpTx, Dev);
        Rx = RxRings.Select(r => Kring.Open(Region.Mapping, Layout, r.Offset, Dev)).ToArray();
        Tx = TxRings.Select(r => Kring.Open(Region.Mapping, Layout, r.Offset, Dev)).ToArray();
        if (attach) Attach();
    }

    public NetworkLab Lab { get; } = new();
    public string NetmapNs { get; private set; } = "";
    public string PeerNs { get; private set; } = "";
    public string Dev { get; private set; } = "";
    public string PeerDev { get; private set; } = "";
    public MemoryRegion Region { get; private set; } = null!;
    public RegionLayout Layout { get; private set; }
    public RingFactory.CreatedRing[] RxRings { get; private set; } = [];
    public RingFactory.CreatedRing[] TxRings { get; private set; } = [];
    public Kring[] Rx { get; private set; } = [];
    public Kring[] Tx { get; private set; } = [];
    public XdpAttachment? Attachment { get; private set; }
    public XdpQueue[] Queues { get; private set; } = [];

    public XdpQueue Queue => Queues[0];

    /// <summary>Opens the attachment from a thread in the netmap namespace, then one queue per ring pair.</summary>
    public void Attach()
    {
        Attachment = OpenAttachment();
        Queues = Enumerable.Range(0, Rx.Length).Select(q => XdpQueue.Open(Attachment.QueueFd(q), Tx[q], Rx[q], Region.Mapping, Layout, Dev)).ToArray();
    }

    /// <summary>XdpAttachment.Open on this bed's rings (throws what it throws).</summary>
    public XdpAttachment OpenAttachment() =>
        NamespaceThread.Run(NetmapNs, () => XdpAttachment.Open(Dev, LinkInfo.IndexOf(Dev), Region, TxRings, RxRings));

    public void Detach()
    {
        foreach (var q in Queues) q.Dispose();
        Queues = [];
        Attachment?.Dispose();
        Attachment = null;
    }

    public XdpPeer OpenPeer() => XdpPeer.Open(PeerNs, PeerDev);

    public bool RxSync(int q = 0) => Queues[q].RxSync(Rx[q], Token);
    public bool TxSync(int q = 0) => Queues[q].TxSync(Tx[q], Token);

    /// <summary>Copies <paramref name="frame"/> into the TX slot at head and advances head/cur; false when the ring is full.</summary>
    public bool Put(ReadOnlySpan<byte> frame, int q = 0)
    {
        var ring = Tx[q].Ring;
        if (ring.Space == 0) return false;
        uint h = ring.Head;
        ref var s = ref ring.Slot(h);
        frame.CopyTo(ring.Buffer(s.BufferIndex));
        s.Length = (ushort)frame.Length;
        ring.Head = ring.Cur = ring.Next(h);
        return true;
    }

    /// <summary>rxsync, then copies out every frame of [head, tail) and releases them.</summary>
    public int Drain(List<byte[]> into, int q = 0)
    {
        RxSync(q);
        var ring = Rx[q].Ring;
        int got = 0;
        for (uint i = ring.Head; i != ring.Tail; i = ring.Next(i), got++)
            into.Add(ring.Payload(ring.Slot(i)).ToArray());
        ring.Head = ring.Cur = ring.Tail;
        return got;
    }

    /// <summary>Drains until <paramref name="count"/> frames arrived or <paramref name="timeoutMs"/> passed.</summary>
    public List<byte[]> Receive(int count, int timeoutMs = 5000, int q = 0)
    {
        var got = new List<byte[]>();
        var deadline = Environment.TickCount64 + timeoutMs;
        while (got.Count < count && Environment.TickCount64 < deadline)
        {
            if (Drain(got, q) == 0) Thread.Sleep(1);
        }
        Drain(got, q);
        return got;
    }

    /// <summary>Sends <paramref name="frames"/> from the TX ring, syncing whenever it is full, until every slot came back.</summary>
    public void Transmit(IEnumerable<byte[]> frames, int q = 0)
    {
        foreach (var f in frames)
        {
            var deadline = Environment.TickCount64 + 5000;
            while (!Put(f, q))
            {
                TxSync(q);
                if (Environment.TickCount64 > deadline) throw new TimeoutException("TX ring stayed full");
                if (Tx[q].Ring.Space == 0) Thread.Sleep(1);
            }
        }
        FlushTx(q);
    }

    /// <summary>Syncs until the kernel gave back every TX slot (tail = head - 1).</summary>
    public void FlushTx(int q = 0, int timeoutMs = 5000)
    {
        var ring = Tx[q].Ring;
        var deadline = Environment.TickCount64 + timeoutMs;
        do
        {
            TxSync(q);
            if (ring.Next(ring.Tail) == ring.Head) return;
            Thread.Sleep(1);
        }
        while (Environment.TickCount64 < deadline);
        throw new TimeoutException($"TX ring of queue {q} did not drain: head {ring.Head} tail {ring.Tail}");
    }

    /// <summary>Buffer indices held by the slots of a ring.</summary>
    public uint[] Buffers(RingFactory.CreatedRing ring) => RingFactory.Slots(Region, ring).ToArray().Select(s => s.BufferIndex).ToArray();

    public void Dispose()
    {
        try { Detach(); }
        finally
        {
            Region?.Dispose();
            Lab.Dispose();
        }
    }
}
