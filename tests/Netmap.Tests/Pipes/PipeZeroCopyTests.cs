using Netmap.Abi;
using Netmap.Api;
using Netmap.Rings;

namespace Netmap.Tests.Pipes;

/// <summary>
/// Zero copy (spec 3 NS_BUF_CHANGED, spec 6): buffers move between the ends by index, and buffers swapped in by
/// either side travel with the slot, without leaking or double-freeing anything.
/// </summary>
public sealed class PipeZeroCopyTests : IDisposable
{
    private readonly PipePair _keeper;  // keeps the parent region alive, so buffer counts can be compared after closing
    private readonly ushort _memId;
    private readonly long _freeBefore;

    public PipeZeroCopyTests()
    {
        _keeper = new PipePair("zc", id: "0");
        _memId = _keeper.Master.MemId;
        _freeBefore = _keeper.Engine.FreeBuffers(_memId);
    }

    public void Dispose() => _keeper.Dispose();

    private PipePair Open(uint masterExtra = 0, uint slaveExtra = 0) => new("zc", id: "1",
        masterOptions: new NetmapPortOptions { ExtraBuffers = masterExtra },
        slaveOptions: new NetmapPortOptions { ExtraBuffers = slaveExtra }, engine: _keeper.Engine);

    private static uint PopExtra(NetmapPort port)
    {
        uint b = port.Interface.BufsHead;
        Assert.NotEqual(0u, b);
        port.Interface.BufsHead = BitConverter.ToUInt32(port.Buffer(b));
        return b;
    }

    private static void PushExtra(NetmapPort port, uint b)
    {
        BitConverter.TryWriteBytes(port.Buffer(b), port.Interface.BufsHead);
        port.Interface.BufsHead = b;
    }

    private void AssertEverythingFreedAfter(PipePair p)
    {
        p.Dispose();
        Assert.Equal(_freeBefore, _keeper.Engine.FreeBuffers(_memId));
        Assert.Equal(1, _keeper.Engine.PipeCount);
        Assert.Equal(0, _keeper.Engine.DoubleFrees);
    }

    [Fact]
    public void ReceivedSlots_CarryTheBufferIndicesTheSenderFilled()
    {
        var p = Open();
        var tx = p.Master.TxRings[0];
        var sentIdx = new List<uint>();
        for (int i = 0; i < 20; i++)
        {
            sentIdx.Add(tx.Slot(tx.Head).BufferIndex);
            Assert.True(p.Master.Inject(new byte[] { (byte)i }));
        }
        Assert.True(p.Master.TxSync());
        Assert.True(p.Slave.RxSync());
        var rx = p.Slave.RxRings[0];
        var gotIdx = new List<uint>();
        for (uint i = rx.Head; i != rx.Tail; i = rx.Next(i)) gotIdx.Add(rx.Slot(i).BufferIndex);
        Assert.Equal(sentIdx, gotIdx);
        Assert.Equal(20, sentIdx.Distinct().Count());
        AssertEverythingFreedAfter(p);
    }

    [Fact]
    public void ExtraBuffersSwappedIntoTxSlots_ArriveIntact_AndTheDisplacedBuffersJoinTheExtraList()
    {
        var p = Open(masterExtra: 8);
        Assert.Equal(8u, p.Master.ExtraBuffers);
        var tx = p.Master.TxRings[0];
        var swappedIn = Enumerable.Range(0, 5).Select(_ => PopExtra(p.Master)).ToList();
        var displaced = new List<uint>();
        for (int i = 0; i < 5; i++)
        {
            uint e = swappedIn[i];
            var payload = new byte[100 + i];
            Array.Fill(payload, (byte)(0xA0 + i));
            payload.CopyTo(p.Master.Buffer(e));
            ref var s = ref tx.Slot(tx.Head);
            displaced.Add(s.BufferIndex);
            s.BufferIndex = e;
            s.Length = (ushort)payload.Length;
            s.Flags = SlotFlags.BufferChanged;
            PushExtra(p.Master, displaced[^1]);
            tx.Head = tx.Cur = tx.Next(tx.Head);
        }
        Assert.True(p.Master.TxSync());
        Assert.Equal(SlotFlags.None, tx.Slot(0).Flags & SlotFlags.BufferChanged); // consumed by the sync

        Assert.True(p.Slave.RxSync());
        var rx = p.Slave.RxRings[0];
        for (int i = 0; i < 5; i++)
        {
            ref var s = ref rx.Slot(rx.Head);
            Assert.Equal(swappedIn[i], s.BufferIndex);
            Assert.Equal(SlotFlags.None, s.Flags & SlotFlags.BufferChanged);
            Assert.True(p.Slave.NextPacket(out var f, out _));
            Assert.Equal(100 + i, f.Length);
            Assert.All(f.ToArray(), b => Assert.Equal((byte)(0xA0 + i), b));
        }
        Assert.True(p.Slave.RxSync());

        var list = new List<uint>();
        for (uint b = p.Master.Interface.BufsHead; b != 0; b = BitConverter.ToUInt32(p.Master.Buffer(b))) list.Add(b);
        Assert.Equal(8, list.Count);
        Assert.Subset(list.ToHashSet(), displaced.ToHashSet());
        AssertEverythingFreedAfter(p);
    }

    [Fact]
    public void AReceiverSwap_FlowsBackToTheSender_WithBufChangedOnThatSlot()
    {
        var p = Open(slaveExtra: 4);
        Assert.True(p.Master.Inject("first"u8));
        Assert.True(p.Master.Inject("second"u8));
        Assert.True(p.Master.TxSync());
        Assert.True(p.Slave.RxSync());

        // The receiver keeps the buffer of slot 0 (say, queued elsewhere) and gives the ring an extra buffer instead.
        var rx = p.Slave.RxRings[0];
        uint e = PopExtra(p.Slave);
        ref var rs = ref rx.Slot(0);
        uint kept = rs.BufferIndex;
        Assert.Equal("first"u8.ToArray(), p.Slave.Buffer(kept)[..5].ToArray());
        rs.BufferIndex = e;
        rs.Flags |= SlotFlags.BufferChanged;
        PushExtra(p.Slave, kept);
        rx.Head = rx.Cur = 2;
        Assert.True(p.Slave.RxSync());
        Assert.Equal(SlotFlags.None, rx.Slot(0).Flags & SlotFlags.BufferChanged);

        Assert.True(p.Master.TxSync());
        var tx = p.Master.TxRings[0];
        Assert.Equal(1u, tx.Tail); // tail = receiver's hwcur - 1: slots 2..1023 and 0 are the sender's again
        Assert.True(p.Master.Inject(new byte[1]));
        Assert.True(p.Master.TxSync());
        Assert.True(p.Slave.RxSync());
        while (p.Slave.NextPacket(out _, out _)) { }
        Assert.True(p.Slave.RxSync());
        Assert.True(p.Master.TxSync());

        ref var ts = ref tx.Slot(0);
        Assert.Equal(e, ts.BufferIndex);
        Assert.True(ts.Flags.HasFlag(SlotFlags.BufferChanged));
        Assert.NotEqual(e, tx.Slot(1).BufferIndex);
        Assert.False(tx.Slot(1).Flags.HasFlag(SlotFlags.BufferChanged));

        // The sender uses the new buffer like any other.
        while (tx.Head != 0) Assert.True(p.Master.Inject(new byte[] { 7 }));
        Assert.True(p.Master.Inject("via swapped buffer"u8));
        Assert.Equal("via swapped buffer"u8.ToArray(), p.Master.Buffer(e)[..18].ToArray());
        Assert.True(p.Master.TxSync());
        Assert.True(p.Slave.RxSync());
        int seen = 0;
        while (p.Slave.NextPacket(out var f, out _)) if (f.SequenceEqual("via swapped buffer"u8)) seen++;
        Assert.Equal(1, seen);
        AssertEverythingFreedAfter(p);
    }

    [Fact]
    public void SwapsOnBothSidesAcrossManyRounds_LeakNothing()
    {
        var p = Open(masterExtra: 16, slaveExtra: 16);
        var rng = new Random(7);
        var tx = p.Master.TxRings[0];
        var rx = p.Slave.RxRings[0];
        for (int round = 0; round < 200; round++)
        {
            int k = rng.Next(1, 10);
            for (int i = 0; i < k && tx.Space > 0; i++)
            {
                if (rng.Next(3) == 0)
                {
                    uint e = PopExtra(p.Master);
                    ref var s = ref tx.Slot(tx.Head);
                    PushExtra(p.Master, s.BufferIndex);
                    s.BufferIndex = e;
                    s.Flags = SlotFlags.BufferChanged;
                }
                ref var slot = ref tx.Slot(tx.Head);
                BitConverter.TryWriteBytes(p.Master.Buffer(slot.BufferIndex), round * 100 + i);
                slot.Length = 4;
                tx.Head = tx.Cur = tx.Next(tx.Head);
            }
            Assert.True(p.Master.TxSync());
            Assert.True(p.Slave.RxSync());
            while (!rx.IsEmpty && rng.Next(4) != 0)
            {
                ref var s = ref rx.Slot(rx.Head);
                Assert.True(rx.IsValidBuffer(s.BufferIndex));
                if (rng.Next(3) == 0)
                {
                    uint e = PopExtra(p.Slave);
                    PushExtra(p.Slave, s.BufferIndex);
                    s.BufferIndex = e;
                    s.Flags |= SlotFlags.BufferChanged;
                }
                rx.Head = rx.Cur = rx.Next(rx.Head);
            }
            Assert.True(p.Slave.RxSync());
        }
        AssertEverythingFreedAfter(p);
    }
}
