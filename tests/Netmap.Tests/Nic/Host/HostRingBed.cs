using System.Net;
using Netmap.Abi;
using Netmap.Adapters.Nic;
using Netmap.Adapters.Nic.Packet;
using Netmap.Adapters.Nic.Tap;
using Netmap.Adapters.Nic.Xdp;
using Netmap.Interop;
using Netmap.Memory;
using Netmap.Rings;
using Netmap.Tests.Infrastructure;
using Netmap.Tests.Nic.Packet;

namespace Netmap.Tests.Nic.Host;

/// <summary>
/// What NicAdapter does for <c>netmap:IF^</c>, by hand: namespaces "hrn" (the interface in netmap mode, address
/// <see cref="NetmapIp"/>) and "hrp" (its veth peer, <see cref="PeerIp"/>); a private region holding one NIC ring
/// pair (AF_XDP or AF_PACKET kinds) and the host ring pair (TapTx/TapRx); the NIC attachment and the
/// <see cref="HostRingAttachment"/> opened from inside "hrn"; the NIC queue and a <see cref="TapQueue"/> over the
/// hidden TAP; a raw socket on the peer that sees what reaches the wire.
/// </summary>
internal sealed class HostRingBed : IDisposable
{
    public const uint Token = 5;
    public static readonly IPAddress NetmapIp = IPAddress.Parse("10.88.0.1"), PeerIp = IPAddress.Parse("10.88.0.2");

    private readonly RingFactory.CreatedRing _nicTx, _nicRx, _hostTx, _hostRx;

    /// <summary>The namespaces, veth and addresses; with <paramref name="attachNic"/> false nothing more (for tests
    /// that go through NetmapPort), else the region, the NIC attachment of <paramref name="backend"/> and its queue,
    /// and with <paramref name="openHost"/> the host path.</summary>
    public HostRingBed(NicBackendKind backend, uint slots = 128, int mtu = 1500, bool openHost = true, bool attachNic = true)
    {
        Backend = backend;
        Lab = new NetworkLab();
        try
        {
            NsNetmap = Lab.Namespace("hrn");
            NsPeer = Lab.Namespace("hrp");
            // An index of its own (as PacketBed does) so the tcx links of beds running side by side, and the
            // hidden TAPs' names, can be told apart.
            IfIndex = Random.Shared.Next(10_000, 2_000_000);
            Dev = $"hrn{IfIndex}";
            PeerDev = $"hrp{IfIndex}";
            Lab.Exec(NsNetmap, $"ip link add {Dev} index {IfIndex} numtxqueues 1 numrxqueues 1 type veth peer name {PeerDev} numtxqueues 1 numrxqueues 1");
            Lab.Exec(NsNetmap, $"ip link set {PeerDev} netns {NsPeer}");
            Lab.PrepareLink(NsNetmap, Dev, mtu == 1500 ? 0 : mtu);
            Lab.PrepareLink(NsPeer, PeerDev, mtu == 1500 ? 0 : mtu);
            Lab.Exec(NsNetmap, $"ip addr add {NetmapIp}/24 dev {Dev}");
            Lab.Exec(NsPeer, $"ip addr add {PeerIp}/24 dev {PeerDev}");
            (DevMac, PeerMac) = (Mac(NsNetmap, Dev), Mac(NsPeer, PeerDev));
            Peer = PacketPeer.Open(NsPeer, PeerDev);
            if (!attachNic) return;

            Region = MemoryRegion.Create(31, AllocatorParameters.ForPrivatePort(2, slots, 2, slots, 0, 0), isGlobal: false);
            Layout = RegionLayout.Read(Region.Mapping, Region.MemSize, "test");
            var (txKind, rxKind) = backend == NicBackendKind.Xdp ? (KringKind.XdpTx, KringKind.XdpRx) : (KringKind.PacketTx, KringKind.PacketRx);
            _nicRx = RingFactory.CreateWithBuffers(Region, Region.Ledger.CreateOwner(Dev), slots, false, 0, rxKind, Dev);
            _nicTx = RingFactory.CreateWithBuffers(Region, Region.Ledger.CreateOwner(Dev), slots, true, 0, txKind, Dev);
            _hostRx = RingFactory.CreateWithBuffers(Region, Region.Ledger.CreateOwner(Dev), slots, false, 1, KringKind.TapRx, Dev);
            _hostTx = RingFactory.CreateWithBuffers(Region, Region.Ledger.CreateOwner(Dev), slots, true, 1, KringKind.TapTx, Dev);
            NicTx = Kring.Open(Region.Mapping, Layout, _nicTx.Offset, "test");
            NicRx = Kring.Open(Region.Mapping, Layout, _nicRx.Offset, "test");
            HostTx = Kring.Open(Region.Mapping, Layout, _hostTx.Offset, "test");
            HostRx = Kring.Open(Region.Mapping, Layout, _hostRx.Offset, "test");

            Nic = NamespaceThread.Run(NsNetmap, () => backend == NicBackendKind.Xdp
                ? (NicAttachment)XdpAttachment.Open(Dev, IfIndex, Region, [_nicTx], [_nicRx])
                : PacketAttachment.Open(Dev, IfIndex, Region, [_nicTx], [_nicRx]), 10_000);
            NicQueue = NicQueueFactory.Open(NicRx.Kind, Nic.QueueFd(0), NicTx, NicRx, Region.Mapping, Layout, "test");
            if (openHost) OpenHost();
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public NicBackendKind Backend { get; }
    public NetworkLab Lab { get; }
    public string NsNetmap { get; } = "";
    public string NsPeer { get; } = "";
    public string Dev { get; } = "";
    public string PeerDev { get; } = "";
    public int IfIndex { get; }
    public byte[] DevMac { get; } = [];
    public byte[] PeerMac { get; } = [];
    public MemoryRegion Region { get; } = null!;
    public RegionLayout Layout { get; }
    public Kring NicTx { get; } = null!;
    public Kring NicRx { get; } = null!;
    public Kring HostTx { get; } = null!;
    public Kring HostRx { get; } = null!;
    public NicAttachment Nic { get; } = null!;
    public RingBackend NicQueue { get; } = null!;
    public PacketPeer Peer { get; } = null!;
    public HostRingAttachment? Host { get; private set; }
    public TapQueue? HostQueue { get; private set; }
    public RingFactory.CreatedRing HostTxRing => _hostTx;
    public RingFactory.CreatedRing HostRxRing => _hostRx;

    /// <summary>The queue index the engine gives the host rings: after the NIC's one queue.</summary>
    public const uint HostQueueIndex = 1;

    /// <summary>HostRingAttachment.Open from inside the netmap namespace (throws what it throws).</summary>
    public HostRingAttachment OpenHostAttachment() => NamespaceThread.Run(NsNetmap,
        () => HostRingAttachment.Open(Dev, IfIndex, Nic, Region, _hostTx, _hostRx, HostQueueIndex), 10_000);

    public void OpenHost()
    {
        Host = OpenHostAttachment();
        HostQueue = TapQueue.Open(Host.Fd, HostTx, HostRx, Region.Mapping, Layout, "test");
    }

    public void CloseHost()
    {
        HostQueue?.Dispose(); HostQueue = null;
        Host?.Dispose(); Host = null;
    }

    /// <summary>Whether interface <paramref name="name"/> exists in the netmap namespace.</summary>
    public bool LinkExists(string name) => Lab.TryExec(NsNetmap, $"ip link show dev {name}").ExitCode == 0;

    /// <summary>True once <paramref name="name"/> is gone, waiting up to 3 s: a child process another test forks holds
    /// copies of our descriptors (the TAP's among them) until its exec closes them.</summary>
    public bool LinkGone(string name)
    {
        var deadline = Environment.TickCount64 + 3000;
        while (LinkExists(name))
        {
            if (Environment.TickCount64 > deadline) return false;
            Thread.Sleep(50);
        }
        return true;
    }

    /// <summary>Puts <paramref name="frames"/> into the host TX ring and runs txsync (the ring is large enough).</summary>
    public void Inject(params byte[][] frames)
    {
        var ring = HostTx.Ring;
        foreach (var f in frames)
        {
            Assert.True(ring.Space > 0, "host TX ring full");
            ref var s = ref ring.Slot(ring.Head);
            f.CopyTo(ring.Buffer(s.BufferIndex));
            s.Length = (ushort)f.Length;
            s.Flags = SlotFlags.None;
            ring.Head = ring.Cur = ring.Next(ring.Head);
        }
        Assert.True(HostQueue!.TxSync(HostTx, Token));
        Assert.Equal(ring.Head, ring.Next(ring.Tail)); // TAP writes complete at once
    }

    /// <summary>rxsync on <paramref name="k"/>, copying out and releasing every frame of [head, tail).</summary>
    private static int Drain(RingBackend q, Kring k, List<byte[]> into)
    {
        q.RxSync(k, Token);
        var ring = k.Ring;
        int n = 0;
        for (uint i = ring.Head; i != ring.Tail; i = ring.Next(i), n++) into.Add(ring.Payload(ring.Slot(i)).ToArray());
        ring.Head = ring.Cur = ring.Tail;
        return n;
    }

    /// <summary>Frames arriving in the host RX ring until one matches <paramref name="match"/> (returned, with
    /// everything seen) or <paramref name="timeoutMs"/> passed (null).</summary>
    public byte[]? WaitHost(Func<byte[], bool> match, List<byte[]> seen, int timeoutMs = 3000)
        => Wait(HostQueue!, HostRx, match, seen, timeoutMs);

    /// <summary>Everything the NIC RX ring receives within <paramref name="ms"/>.</summary>
    public List<byte[]> CollectNic(int ms)
    {
        var seen = new List<byte[]>();
        Wait(NicQueue, NicRx, _ => false, seen, ms);
        return seen;
    }

    /// <summary>How many frames matching <paramref name="match"/> the NIC RX ring received when the first arrived, or
    /// after <paramref name="timeoutMs"/>.</summary>
    public int CollectNicUntil(Func<byte[], bool> match, int timeoutMs)
    {
        var seen = new List<byte[]>();
        Wait(NicQueue, NicRx, match, seen, timeoutMs);
        return seen.Count(match);
    }

    /// <summary>aa:bb:cc:dd:ee:ff.</summary>
    public static string MacText(byte[] mac) => string.Join(":", mac.Select(b => b.ToString("x2")));

    /// <summary>Everything the peer receives from the wire within <paramref name="ms"/> of quiet.</summary>
    public List<byte[]> CollectPeer(int ms)
    {
        var got = new List<byte[]>();
        for (byte[]? f; (f = Peer.Receive(ms)) is not null;) got.Add(f);
        return got;
    }

    private static byte[]? Wait(RingBackend q, Kring k, Func<byte[], bool> match, List<byte[]> seen, int timeoutMs)
    {
        long deadline = Environment.TickCount64 + timeoutMs;
        int from = seen.Count;
        while (true)
        {
            Drain(q, k, seen);
            for (; from < seen.Count; from++)
                if (match(seen[from])) return seen[from];
            if (Environment.TickCount64 >= deadline) return null;
            FdPoll.WaitReadable(q.WaitFd, 20);
        }
    }

    private byte[] Mac(string ns, string dev) => NamespaceThread.Run(ns, () => LinkInfo.HardwareAddress(dev)) ?? throw new InvalidOperationException($"no MAC for {dev}");

    public void Dispose()
    {
        CloseHost();
        NicQueue?.Dispose();
        Nic?.Dispose();
        Peer?.Dispose();
        Region?.Dispose();
        Lab.Dispose();
    }
}
