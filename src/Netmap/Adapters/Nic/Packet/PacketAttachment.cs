using Netmap.Abi;
using Netmap.Interop;
using Netmap.Memory;
using Netmap.Rings;

namespace Netmap.Adapters.Nic.Packet;

/// <summary>
/// An interface in netmap mode through AF_PACKET (<c>@conf:backend=afpacket</c>, and the fallback when AF_XDP cannot
/// be set up): one queue served by one packet socket bound to the interface for every protocol, with a TPACKET_V3
/// RX ring and a TX ring (see <see cref="PacketSocket.Open"/>), and the interface cut off the host stack by
/// <see cref="HostStackDivert"/>. Each process that binds the rings maps the socket's rings itself
/// (<see cref="PacketQueue"/>).
/// <para>Geometry, written into BackendParam0..3 of both krings (<see cref="ChooseGeometry"/>): P0 = block size
/// (both rings), P1 = RX blocks, P2 = TX frame size, P3 = TX frames.</para>
/// <para>Latency: the kernel hands an RX block over when it is full or <see cref="RetireBlockMs"/> after its first
/// frame, so at low rates a frame waits at most that long.</para>
/// </summary>
internal sealed class PacketAttachment : NicAttachment
{
    /// <summary>retire_blk_tov: the longest a received frame waits in a block that is not full (ms; 1 is the least).</summary>
    public const uint RetireBlockMs = 1;
    /// <summary>The RX ring holds this many netmap RX rings of full-size frames (bursts while the user is late).</summary>
    public const int RxRingsWorth = 4;
    /// <summary>Small blocks: at low rates the kernel retires a block after <see cref="RetireBlockMs"/> however
    /// little it holds, so the ring's capacity in time is (blocks x 1 ms) and many small blocks beat a few big ones.
    /// At high rates a 64 KiB block still holds hundreds of frames (one block status write per few hundred).</summary>
    public const uint MinBlockSize = 64 * 1024;
    /// <summary>Enough blocks that the kernel keeps filling while the reader holds a few.</summary>
    public const uint MinRxBlocks = 16;
    public const long MaxRxBytes = 64L << 20;

    private int _fd;
    private HostStackDivert? _divert;

    private PacketAttachment(int fd, HostStackDivert divert, TpacketGeometry g, string ifName)
    {
        _fd = fd; _divert = divert; Geometry = g; InterfaceName = ifName;
    }

    public string InterfaceName { get; }
    public TpacketGeometry Geometry { get; }
    public override NicBackendKind Kind => NicBackendKind.Packet;
    public override int QueueCount => 1;
    public override int QueueFd(int queue) => queue == 0 ? _fd : throw new ArgumentOutOfRangeException(nameof(queue));
    public override string Description =>
        $"AF_PACKET TPACKET_V3: RX {Geometry.RxBlocks} x {Geometry.BlockSize / 1024} KiB blocks, TX {Geometry.TxFrames} x {Geometry.TxFrameSize} B frames; tcx divert";

    /// <summary>
    /// Opens the socket on <paramref name="ifName"/> (index <paramref name="ifIndex"/>, in the calling thread's
    /// network namespace), diverts the interface from the host stack and writes queue 0 and the geometry into the
    /// krings of <paramref name="txRings"/>[0] and <paramref name="rxRings"/>[0]. Throws a
    /// <see cref="NetmapException"/> naming the interface; on failure nothing stays attached or open.
    /// </summary>
    public static PacketAttachment Open(string ifName, int ifIndex, MemoryRegion region, RingFactory.CreatedRing[] txRings, RingFactory.CreatedRing[] rxRings)
    {
        if (txRings.Length != 1 || rxRings.Length != 1)
            throw NetmapException.Create(ifName, "AF_PACKET open", Errno.EINVAL, $"one queue is served, {txRings.Length} TX and {rxRings.Length} RX rings given");
        if (ifIndex <= 0) throw NetmapException.Create(ifName, "AF_PACKET open", Errno.ENXIO, "no such interface");
        int mtu = PacketSocket.Mtu(ifName);
        var g = ChooseGeometry(region.Buffers.Geometry.ObjSize, rxRings[0].NumSlots, txRings[0].NumSlots, mtu > 0 ? mtu : 1500);
        int fd = PacketSocket.Open(ifName, ifIndex, g, RetireBlockMs);
        HostStackDivert divert;
        try
        {
            // Frames the host TX ring injects into the interface's receive path pass this socket too: keep them out.
            PacketSocket.DropMarked(ifName, fd, HostStackDivert.InjectedMark);
            divert = HostStackDivert.Attach(ifName, ifIndex);
        }
        catch { Libc.close(fd); throw; }
        foreach (var ring in new[] { txRings[0], rxRings[0] })
        {
            ref var ks = ref RingFactory.State(region, ring);
            ks.BackendQueue = 0;
            ks.BackendParam0 = g.BlockSize;
            ks.BackendParam1 = g.RxBlocks;
            ks.BackendParam2 = g.TxFrameSize;
            ks.BackendParam3 = g.TxFrames;
            ks.BackendCursor0 = ks.BackendCursor1 = 0;
            ks.BackendDrops = 0;
        }
        return new PacketAttachment(fd, divert, g, ifName);
    }

    /// <summary>
    /// The rings for buffers of <paramref name="bufSize"/> bytes, netmap rings of <paramref name="rxSlots"/> and
    /// <paramref name="txSlots"/> slots and an interface MTU of <paramref name="mtu"/>:
    /// <list type="bullet">
    /// <item>a frame on the wire is at most MTU + 18 (Ethernet header and one VLAN tag); in an RX block it takes
    /// about 96 more bytes (frame header, sockaddr_ll, alignment);</item>
    /// <item>blocks of 64 KiB (more when four such frames would not fit), RX blocks for <see cref="RxRingsWorth"/>
    /// netmap rings of full-size frames, at least <see cref="MinRxBlocks"/>, at most <see cref="MaxRxBytes"/>;</item>
    /// <item>TX frames hold the 48-byte header and the larger of a netmap buffer and a full-size frame, and there
    /// are enough of them for a whole netmap TX ring.</item>
    /// </list>
    /// </summary>
    public static TpacketGeometry ChooseGeometry(uint bufSize, uint rxSlots, uint txSlots, int mtu)
    {
        uint wire = (uint)Math.Clamp(mtu, 68, 65535) + 18;
        uint rxFrame = Align16(96 + wire);
        uint blockSize = MinBlockSize;
        while (blockSize < 4 * rxFrame && blockSize < TpacketGeometry.MaxBlockSize) blockSize <<= 1;
        long rxBytes = Math.Min((long)RxRingsWorth * rxSlots * rxFrame, MaxRxBytes);
        uint rxBlocks = (uint)Math.Max(MinRxBlocks, (rxBytes + blockSize - 1) / blockSize);
        uint txFrameSize = Align16(Tpacket3Header.TxDataOffset + Math.Max(Math.Min(bufSize, 65535u), wire));
        uint perBlock = blockSize / txFrameSize;
        uint txFrames = (Math.Max(txSlots, 1) + perBlock - 1) / perBlock * perBlock;
        return new TpacketGeometry(blockSize, rxBlocks, txFrameSize, txFrames);
    }

    private static uint Align16(uint v) => (v + 15) & ~15u;

    /// <summary>Gives the interface back to the host stack (the tcx links go) and closes the engine's descriptor.
    /// Clients' copies of the descriptor keep the socket (not the divert) until they close them.</summary>
    public override void Dispose()
    {
        _divert?.Dispose();
        _divert = null;
        if (_fd >= 0) { Libc.close(_fd); _fd = -1; }
    }
}
