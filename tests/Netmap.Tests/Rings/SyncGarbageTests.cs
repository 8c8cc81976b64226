using System.Diagnostics;
using Netmap.Abi;
using Netmap.Adapters;
using Netmap.Engine;
using Netmap.Tests.Engine;
using Netmap.Tests.Infrastructure;
using Netmap.Api;
using Netmap.Interop;
using Netmap.Memory;
using Netmap.Rings;
using Netmap.Tests.Pipes;
using Netmap.Tests.Vale;

namespace Netmap.Tests.Rings;

/// <summary>
/// Property: whatever is in the shared fields, a sync returns, quickly, without an exception, and writes nothing
/// outside the rings it serves. Each round fills every word of the attacked rings' kring records, ring headers and
/// slots with random values (some in range, most not), then runs every data-path call of the ports. Canaries: the
/// region header, the reserved buffers 0 and 1, and the ring objects and kring records of rings that are not under
/// attack (in the same region) must come out byte for byte as they went in.
/// </summary>
public sealed class SyncGarbageTests
{
    private const int Rounds = 800;

    private static IEnumerable<MemoryCanary> RegionCanaries(NetmapPort port, string name)
        => MemoryCanary.Region((port.RxKrings.Count > 0 ? port.RxKrings[0] : port.TxKrings[0]).Ring.Memory, port.Layout, name);

    private struct Sink : IPacketHandler
    {
        public long Bytes;
        public void Handle(ReadOnlySpan<byte> frame) => Bytes += frame.Length;
    }

    /// <summary>Every data-path call of the ports, each of which must return: the sending ones on
    /// <paramref name="senders"/>, the receiving ones on <paramref name="receivers"/>.</summary>
    private static void Exercise(NetmapPort[] senders, NetmapPort[] receivers, Random rng, byte[] frame)
    {
        var sink = new Sink();
        foreach (var p in senders.OrderBy(_ => rng.Next()))
        {
            p.Inject(frame);
            p.TxSync();
            p.Poll(PollEvents.Out, 0);
        }
        foreach (var p in receivers.OrderBy(_ => rng.Next()))
        {
            p.RxSync();
            p.NextPacket(out _, out _);
            p.Dispatch(0, ref sink);
            p.Poll(PollEvents.In, 0);
        }
    }

    private static void Run(NetmapPort[] ports, Kring[] attacked, IEnumerable<MemoryCanary> canaries, int seed)
        => Run(ports, ports, attacked, canaries, seed);

    private static void Run(NetmapPort[] senders, NetmapPort[] receivers, Kring[] attacked, IEnumerable<MemoryCanary> canaries, int seed)
    {
        var frame = new byte[new Random(seed).Next(60, 5000)];
        Run(rng => Exercise(senders, receivers, rng, frame), attacked, canaries, seed);
    }

    private static void Run(Action<Random> exercise, Kring[] attacked, IEnumerable<MemoryCanary> canaries, int seed)
    {
        var rng = new Random(seed);
        var all = canaries.ToList();
        var slowest = TimeSpan.Zero;
        for (int round = 0; round < Rounds; round++)
        {
            foreach (var k in attacked) SharedGarbage.Scribble(k, rng);
            var clock = Stopwatch.StartNew();
            exercise(rng);
            if (clock.Elapsed > slowest) slowest = clock.Elapsed;
        }
        Assert.True(slowest < TimeSpan.FromSeconds(1), $"a round took {slowest}");
        foreach (var c in all) c.Check();
        Assert.Contains(attacked, k => k.State.Reinits > 0 || k.State.BadIndices > 0);
        SharedGarbage.ReleaseLocks(attacked); // the engine would wait 2 s for each lock's holder at close
    }

    [Fact]
    public void PipeSyncs_OnGarbage_ReturnAndWriteNothingOutsideTheirRings()
    {
        using var p = new PipePair("garbage", "1");
        using var q = new PipePair("garbage", "2", engine: p.Engine); // same parent: same region, not attacked
        Assert.Equal(p.Master.MemId, q.Master.MemId);
        var canaries = RegionCanaries(p.Master, "pipe").ToList();
        foreach (var k in q.Master.TxKrings.Concat(q.Master.RxKrings).Concat(q.Slave.TxKrings).Concat(q.Slave.RxKrings))
            canaries.AddRange(MemoryCanary.Ring(k, $"pipe 2 ring {k.Index}"));
        var attacked = p.Master.TxKrings.Concat(p.Master.RxKrings).Concat(p.Slave.TxKrings).Concat(p.Slave.RxKrings).ToArray();
        Run([p.Master, p.Slave], attacked, canaries, seed: 1);
    }

    [Fact]
    public void PipeSyncsWithMonitors_OnGarbage_ReturnAndWriteNothingOutsideTheirRings()
    {
        using var h = new ValeTestHost(false);
        using var m = NetmapPort.Open("netmap:gm{1", h.Host);
        using var s = NetmapPort.Open("netmap:gm}1", h.Host);
        using var copy = NetmapPort.Open("netmap:gm}1/r", h.Host);
        using var zero = NetmapPort.Open("netmap:gm{1/z", h.Host);
        using var other = NetmapPort.Open("netmap:gm{2", h.Host); // same region, not attacked
        var canaries = RegionCanaries(m, "pipe").ToList();
        foreach (var k in other.TxKrings.Concat(other.RxKrings)) canaries.AddRange(MemoryCanary.Ring(k, $"pipe 2 ring {k.Index}"));
        var attacked = m.TxKrings.Concat(s.RxKrings).Concat(copy.RxKrings).Concat(zero.RxKrings).ToArray();
        Run([m, s, copy, zero], attacked, canaries, seed: 2);
    }

    [Fact]
    public void ValeSyncsAndForwarding_OnGarbage_ReturnAndWriteNothingOutsideTheirRings()
    {
        using var h = new ValeTestHost(false); // embedded: TxSync forwards in this thread
        using var a = NetmapPort.Open("vale5:a", h.Host);
        using var b = NetmapPort.Open("vale5:b", h.Host);
        var canaries = RegionCanaries(a, "a").Concat(RegionCanaries(b, "b")).ToList();
        foreach (var k in a.RxKrings) canaries.AddRange(MemoryCanary.Ring(k, "a rx"));
        foreach (var k in b.TxKrings) canaries.AddRange(MemoryCanary.Ring(k, "b tx"));
        // a only sends, b only receives: a's RX rings and b's TX rings are written by nobody.
        Run([a], [b], [.. a.TxKrings, .. b.RxKrings], canaries, seed: 3);
    }

    [Fact]
    public void NullPortSyncs_OnGarbage_ReturnAndWriteNothingOutsideTheirRings()
    {
        using var engine = new NetmapEngine();
        using var pipe = new EngineClient(engine);
        Assert.Equal(Errno.None, pipe.Register("gn{1"));
        using var c = new EngineClient(engine);
        var body = new NmReqRegister { Mode = RegisterMode.Null, MemId = pipe.Written.MemId, TxRings = 1, RxRings = 1, TxSlots = 64, RxSlots = 64 };
        Assert.Equal(Errno.None, c.Register("gn", body));
        var layout = RegionLayout.Read(c.Memory, c.Registration!.Region.MemSize, "null");
        var tx = Kring.Open(c.Memory, layout, c.NifpOffset + c.RingOfs(0), "null");
        var rx = Kring.Open(c.Memory, layout, c.NifpOffset + c.RingOfs(2), "null"); // after the host TX ring
        var others = pipe.RingTable();
        var canaries = new List<MemoryCanary> { new MemoryCanary(c.Memory, layout.MemSize, RegionHeader.Size, "region header") };
        foreach (long off in others.Tx.Concat(others.Rx))
            canaries.AddRange(MemoryCanary.Ring(Kring.Open(pipe.Memory, layout, pipe.NifpOffset + off, "pipe"), "pipe ring"));
        uint token = c.Registration.Token;
        Run(rng =>
        {
            for (int i = 0; i < 4; i++) { RingSync.TxSync(tx, token); RingSync.RxSync(rx, token); }
        }, [tx, rx], canaries, seed: 4);
    }
}
