using Netmap.Abi;
using Netmap.Api;
using Netmap.Engine;
using Netmap.Memory;

namespace Netmap.Tests.Api;

/// <summary>
/// PortBridge (bridge.c as a class): frames cross byte-exact in both directions, by buffer swap when the ports
/// share a region and by copy otherwise; bursts bound a pass; NS_MOREFRAG packets stay whole.
/// </summary>
public sealed class PortBridgeTests
{
    private static List<byte[]> Frames(int count, int seed, Func<int, int> length)
    {
        var list = new List<byte[]>();
        for (int i = 0; i < count; i++) list.Add(PortBridgeRig.Frame(length(i), seed + i));
        return list;
    }

    private static void AssertSame(List<byte[]> expected, List<byte[]> actual)
    {
        Assert.Equal(expected.Count, actual.Count);
        for (int i = 0; i < expected.Count; i++) Assert.True(expected[i].AsSpan().SequenceEqual(actual[i]), $"frame {i} differs");
    }

    private static void BothWays(PortBridgeRig rig, PortBridge bridge, int count, Func<int, int> length)
    {
        var toB = Frames(count, 1000, length);
        var toA = Frames(count, 5000, length);
        PortBridgeRig.Send(rig.EndA, toB);
        PortBridgeRig.Send(rig.EndB, toA);
        var (atA, atB) = rig.Pump(bridge, count, count);
        AssertSame(toB, atB);
        AssertSame(toA, atA);
        Assert.Equal(count, bridge.AToB);
        Assert.Equal(count, bridge.BToA);
        Assert.Equal(0, bridge.Dropped);
    }

    [Fact]
    public void PipesOfOneParent_ShareARegion_SoBuffersAreSwapped()
    {
        using var rig = PortBridgeRig.Pipes("bz", "bz");
        Assert.Equal(rig.PortA.MemId, rig.PortB.MemId);
        var bridge = new PortBridge(rig.PortA, rig.PortB);
        Assert.True(bridge.ZeroCopy);
        BothWays(rig, bridge, 100, i => 60 + i * 13);
    }

    [Fact]
    public void ZeroCopy_DeliversTheSendersOwnBuffers()
    {
        // Pipes move buffers by index and the bridge swaps them: the frame arrives in the very buffer it was written to.
        using var rig = PortBridgeRig.Pipes("bi", "bi");
        var bridge = new PortBridge(rig.PortA, rig.PortB);
        var tx = rig.EndA.TxRings[0];
        var sent = new List<uint>();
        for (uint i = 0, h = tx.Head; i < 10; i++, h = tx.Next(h)) sent.Add(tx.Slot(h).BufferIndex);
        PortBridgeRig.Send(rig.EndA, Frames(10, 1, _ => 60));
        bridge.Forward();
        rig.EndB.RxSync();
        var rx = rig.EndB.RxRings[0];
        var received = new List<uint>();
        for (uint h = rx.Head; h != rx.Tail; h = rx.Next(h)) received.Add(rx.Slot(h).BufferIndex);
        Assert.Equal(sent, received);
    }

    [Fact]
    public void PipesOfTwoParents_AreCopied()
    {
        using var rig = PortBridgeRig.Pipes("bx", "by");
        Assert.NotEqual(rig.PortA.MemId, rig.PortB.MemId);
        var bridge = new PortBridge(rig.PortA, rig.PortB);
        Assert.False(bridge.ZeroCopy);
        BothWays(rig, bridge, 100, i => 60 + i * 13);
    }

    [Fact]
    public void AllowZeroCopyFalse_Copies_EvenInOneRegion()
    {
        using var rig = PortBridgeRig.Pipes("bc", "bc");
        var bridge = new PortBridge(rig.PortA, rig.PortB, allowZeroCopy: false);
        Assert.False(bridge.ZeroCopy);
        var tx = rig.EndA.TxRings[0];
        uint first = tx.Slot(tx.Head).BufferIndex;
        BothWays(rig, bridge, 50, i => 1514 - i);
        rig.EndB.RxSync();
        // Copies leave the buffers where they were: EndB never sees EndA's buffers.
        var rx = rig.EndB.RxRings[0];
        for (uint s = 0; s < rx.NumSlots; s++) Assert.NotEqual(first, rx.Slot(s).BufferIndex);
    }

    [Fact]
    public void ValePortsWithPrivateRegions_AreCopied()
    {
        using var rig = PortBridgeRig.Vale("bv");
        var bridge = new PortBridge(rig.PortA, rig.PortB);
        Assert.False(bridge.ZeroCopy);
        BothWays(rig, bridge, 64, i => 60 + i * 20);
    }

    [Fact]
    public void ValePortsSharingARegion_SwapBuffers()
    {
        using var rig = PortBridgeRig.Vale("bw", "@share=valebw0:a");
        Assert.Equal(rig.PortA.MemId, rig.PortB.MemId);
        var bridge = new PortBridge(rig.PortA, rig.PortB);
        Assert.True(bridge.ZeroCopy);
        BothWays(rig, bridge, 64, i => 60 + i * 20);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void MoreFragPackets_CrossWhole_AndCountOnce(bool zeroCopy)
    {
        using var rig = PortBridgeRig.Pipes("bf", "bf");
        var bridge = new PortBridge(rig.PortA, rig.PortB, allowZeroCopy: zeroCopy);
        Assert.Equal(zeroCopy, bridge.ZeroCopy);
        // 5000 bytes = 3 slots of 2048; mixed with single-slot frames.
        BothWays(rig, bridge, 60, i => i % 3 == 0 ? 5000 : i % 3 == 1 ? 60 : 4096);
    }

    [Fact]
    public void MoreFragPackets_ThroughVale_CrossWhole()
    {
        using var rig = PortBridgeRig.Vale("bm");
        var bridge = new PortBridge(rig.PortA, rig.PortB);
        BothWays(rig, bridge, 30, i => i % 2 == 0 ? 5000 : 100);
    }

    [Fact]
    public void Burst_BoundsTheSlotsOfOnePassInEachDirection()
    {
        using var rig = PortBridgeRig.Pipes("bb", "bb");
        var bridge = new PortBridge(rig.PortA, rig.PortB, burst: 16);
        PortBridgeRig.Send(rig.EndA, Frames(100, 0, _ => 60));
        PortBridgeRig.Send(rig.EndB, Frames(40, 0, _ => 60));
        Assert.Equal(32, bridge.Forward());
        Assert.Equal(16, PortBridgeRig.Drain(rig.EndB).Count);
        Assert.Equal(16, PortBridgeRig.Drain(rig.EndA).Count);
        Assert.Equal(32, bridge.Forward());
        Assert.Equal(16 + 8, bridge.Forward()); // B->A has 8 left
        Assert.Equal(16, bridge.Forward());
        Assert.Equal(16, bridge.Forward());
        Assert.Equal(16, bridge.Forward());
        Assert.Equal(4, bridge.Forward());
        Assert.Equal(0, bridge.Forward());
        Assert.Equal(100, bridge.AToB);
        Assert.Equal(40, bridge.BToA);
    }

    [Fact]
    public void Burst_FinishesThePacketInProgress()
    {
        using var rig = PortBridgeRig.Pipes("bp", "bp");
        var bridge = new PortBridge(rig.PortA, rig.PortB, burst: 4);
        PortBridgeRig.Send(rig.EndA, Frames(3, 0, _ => 5000)); // 3 slots each
        Assert.Equal(6, bridge.Forward()); // 3 < 4: a second packet starts and ends
        Assert.Equal(2, PortBridgeRig.Drain(rig.EndB).Count);
        Assert.Equal(3, bridge.Forward());
        Assert.Single(PortBridgeRig.Drain(rig.EndB));
    }

    [Fact]
    public void PacketThatDoesNotFit_WaitsForRoom_AndIsNeverSplit()
    {
        // PortB's TX ring holds 7 slots: two 3-slot packets fit, the third waits until EndB reads.
        using var rig = PortBridgeRig.Pipes("bn", "bn2", confB: "@conf:slots=8");
        var bridge = new PortBridge(rig.PortA, rig.PortB);
        var frames = Frames(3, 7, _ => 5000);
        PortBridgeRig.Send(rig.EndA, frames);
        Assert.Equal(6, bridge.Forward());
        Assert.Equal(0, bridge.Forward());
        Assert.Equal(2, bridge.AToB);
        var first = PortBridgeRig.Drain(rig.EndB);
        Assert.Equal(2, first.Count);
        Assert.Equal(3, bridge.Forward());
        var second = PortBridgeRig.Drain(rig.EndB);
        AssertSame(frames, [.. first, .. second]);
    }

    [Fact]
    public void CopyIntoSmallerBuffers_TruncatesAndCounts()
    {
        // The global region (mem_id 1) of this engine has 1024-byte buffers; pipes have their own 2048-byte ones.
        var small = AllocatorParameters.GlobalDefaults with { BufSize = 1024, BufNum = 4096 };
        using var engine = new NetmapEngine(small);
        var host = NetmapHost.Embedded(engine);
        using var end = NetmapPort.Open("netmap:bt}1", host);
        using var pa = NetmapPort.Open("netmap:bt{1", host);
        using var pb = NetmapPort.Open("valebt0:b@1", host);
        using var sink = NetmapPort.Open("valebt0:sink", host);
        Assert.Equal(1024u, pb.TxRings[0].BufferSize);
        var bridge = new PortBridge(pa, pb);
        Assert.False(bridge.ZeroCopy);
        var frame = PortBridgeRig.Frame(1500, 3);
        PortBridgeRig.Send(end, [frame, PortBridgeRig.Frame(200, 4)]);
        Assert.Equal(2, bridge.Forward());
        var got = PortBridgeRig.Drain(sink);
        Assert.Equal(2, got.Count);
        Assert.True(frame.AsSpan(0, 1024).SequenceEqual(got[0]));
        Assert.Equal(200, got[1].Length);
        Assert.Equal(1, bridge.Dropped);
        Assert.Equal(2, bridge.AToB);
    }

    [Fact]
    public void RxSlotWithAnInvalidLength_GoesOutEmpty_AndIsCounted()
    {
        using var rig = PortBridgeRig.Pipes("bl", "bl");
        var bridge = new PortBridge(rig.PortA, rig.PortB);
        PortBridgeRig.Send(rig.EndA, Frames(2, 0, _ => 60));
        rig.PortA.RxSync();
        var rx = rig.PortA.RxRings[0];
        rx.Slot(rx.Head).Length = 4000; // more than the buffer: a scribbling peer
        Assert.Equal(2, bridge.Forward());
        var got = PortBridgeRig.Drain(rig.EndB);
        Assert.Equal(2, got.Count);
        Assert.Empty(got[0]);
        Assert.Equal(60, got[1].Length);
        Assert.Equal(1, bridge.Dropped);
    }

    [Fact]
    public void SamePortObjectTwice_LoopsItsRxIntoItsTx()
    {
        using var rig = PortBridgeRig.Pipes("bo", "bo2");
        var bridge = new PortBridge(rig.PortA, rig.PortA);
        Assert.True(bridge.ZeroCopy);
        var frames = Frames(10, 0, i => 60 + i);
        PortBridgeRig.Send(rig.EndA, frames);
        Assert.Equal(10, bridge.Forward());
        AssertSame(frames, PortBridgeRig.Drain(rig.EndA));
        Assert.Equal(10, bridge.AToB);
        Assert.Equal(0, bridge.BToA);
    }

    [Fact]
    public void BadArguments_Throw()
    {
        using var rig = PortBridgeRig.Pipes("ba", "ba");
        Assert.Throws<ArgumentOutOfRangeException>(() => new PortBridge(rig.PortA, rig.PortB, burst: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new PortBridge(rig.PortA, rig.PortB, burst: PortBridge.MaxBurst + 1));
        Assert.Throws<ArgumentNullException>(() => new PortBridge(null!, rig.PortB));
    }

    [Fact]
    public void ManySwaps_NeitherLoseNorDuplicateBuffers()
    {
        using var keeper = new Netmap.Tests.Pipes.PipePair("bk", id: "0"); // keeps the region alive after the rig closes
        var engine = keeper.Engine;
        ushort memId = keeper.Master.MemId;
        long free = engine.FreeBuffers(memId);
        var rnd = new Random(42);
        using (var rig = PortBridgeRig.Pipes("bk", "bk", engine: engine))
        {
            Assert.Equal(memId, rig.PortA.MemId);
            var bridge = new PortBridge(rig.PortA, rig.PortB, burst: 64);
            Assert.True(bridge.ZeroCopy);
            var ports = new[] { rig.EndA, rig.PortA, rig.PortB, rig.EndB };
            var before = AllBuffers(ports);
            int toA = 0, toB = 0, gotA = 0, gotB = 0;
            for (int round = 0; round < 400; round++)
            {
                var ab = Frames(rnd.Next(0, 40), round, i => 60 + (i * 97 + round) % 4000);
                var ba = Frames(rnd.Next(0, 40), round, i => 60 + (i * 89 + round) % 3000);
                TrySend(rig.EndA, ab, ref toB);
                TrySend(rig.EndB, ba, ref toA);
                bridge.Forward();
                if (rnd.Next(3) != 0) gotB += PortBridgeRig.Drain(rig.EndB).Count;
                if (rnd.Next(3) != 0) gotA += PortBridgeRig.Drain(rig.EndA).Count;
            }
            var (atA, atB) = rig.Pump(bridge, toA - gotA, toB - gotB);
            Assert.Equal(toB, gotB + atB.Count);
            Assert.Equal(toA, gotA + atA.Count);
            foreach (var p in ports) { p.TxSync(); p.RxSync(); }
            var after = AllBuffers(ports);
            Assert.Equal(before.Order(), after.Order());
        }
        Assert.Equal(free, engine.FreeBuffers(memId));
        Assert.Equal(0, engine.DoubleFrees);
    }

    private static void TrySend(NetmapPort port, List<byte[]> frames, ref int sent)
    {
        foreach (var f in frames)
        {
            if (!port.Inject(f)) break;
            sent++;
        }
        port.TxSync();
    }

    /// <summary>Every buffer index of every slot of the ports' rings; each port must hold each buffer once.</summary>
    private static HashSet<uint> AllBuffers(NetmapPort[] ports)
    {
        var all = new HashSet<uint>();
        foreach (var p in ports)
        {
            var mine = new HashSet<uint>();
            foreach (var r in p.TxRings.Concat(p.RxRings))
                for (uint s = 0; s < r.NumSlots; s++)
                    Assert.True(mine.Add(r.Slot(s).BufferIndex), $"{p.Spec.Spec}: buffer {r.Slot(s).BufferIndex} held twice");
            all.UnionWith(mine);
        }
        return all;
    }
}
