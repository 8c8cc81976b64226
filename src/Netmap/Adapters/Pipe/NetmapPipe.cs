using Netmap.Abi;
using Netmap.Interop;
using Netmap.Memory;
using Netmap.Rings;

namespace Netmap.Adapters.Pipe;

/// <summary>
/// A netmap pipe: two ends in the parent's region. Master TX ring i pairs with slave RX ring i and slave TX ring i
/// with master RX ring i; each pair shares one set of num_slots buffers (the TX ring's, copied into the RX ring's
/// slots at creation), so data never moves, only buffer indices.
/// </summary>
internal sealed class NetmapPipe
{
    private NetmapPipe(PipeParent parent, string id) { Parent = parent; Id = id; }

    public PipeParent Parent { get; }
    public string Id { get; }
    public PipeEnd Master { get; private set; } = null!;
    public PipeEnd Slave { get; private set; } = null!;

    /// <summary>Creates both ends: master with <paramref name="txRings"/> x <paramref name="txSlots"/> TX and
    /// <paramref name="rxRings"/> x <paramref name="rxSlots"/> RX (the slave gets them swapped). ENOMEM leaves nothing.</summary>
    public static NetmapPipe Create(PipeParent parent, string id, ushort txRings, ushort rxRings, uint txSlots, uint rxSlots)
    {
        var pipe = new NetmapPipe(parent, id);
        var region = parent.Region;
        string owner = parent.Name + "{" + id;
        var created = new List<RingFactory.CreatedRing>();
        var buffers = new List<uint>();
        try
        {
            // Direction A: master TX -> slave RX. Direction B: slave TX -> master RX.
            var (mTx, sRx) = CreateDirection(region, txRings, txSlots, owner, created, buffers);
            var (sTx, mRx) = CreateDirection(region, rxRings, rxSlots, owner, created, buffers);
            var mKick = KickLine.Create(owner);
            KickLine sKick;
            try { sKick = KickLine.Create(owner); } catch { mKick.Dispose(); throw; }
            pipe.Master = new PipeEnd(pipe, true, mTx, mRx, mKick);
            pipe.Slave = new PipeEnd(pipe, false, sTx, sRx, sKick);
        }
        catch
        {
            foreach (var b in buffers) region.ReleaseBuffer(b);
            foreach (var r in created) RingFactory.Destroy(region, r);
            throw;
        }
        return pipe;
    }

    private static (RingFactory.CreatedRing[] Tx, RingFactory.CreatedRing[] Rx) CreateDirection(
        MemoryRegion region, ushort rings, uint slots, string owner, List<RingFactory.CreatedRing> created, List<uint> buffers)
    {
        var tx = new RingFactory.CreatedRing[rings];
        var rx = new RingFactory.CreatedRing[rings];
        var bufs = new uint[slots];
        for (ushort i = 0; i < rings; i++)
        {
            rx[i] = RingFactory.Create(region, slots, false, i, KringKind.PipeRx, owner); created.Add(rx[i]);
            tx[i] = RingFactory.Create(region, slots, true, i, KringKind.PipeTx, owner); created.Add(tx[i]);
            if (!region.TryAllocateBuffers(bufs))
                throw NetmapException.Create(owner, "REGISTER", Errno.ENOMEM, $"not enough free buffers in mem_id {region.MemId} for {slots} slots");
            buffers.AddRange(bufs);
            RingFactory.FillSlots(region, tx[i], bufs);
            RingFactory.FillSlots(region, rx[i], bufs);
            RingFactory.State(region, tx[i]).PeerRing = rx[i].Index;
            RingFactory.State(region, rx[i]).PeerRing = tx[i].Index;
        }
        return (tx, rx);
    }

    /// <summary>
    /// Frees the rings and exactly one copy of each buffer: slot i of a direction belongs to the receiver while it
    /// lies in [R.hwcur, R.hwtail), to the sender otherwise. Corrupt shared indices fall back to the sender's slots;
    /// the allocator refuses (and counts) double frees either way.
    /// </summary>
    public void Destroy()
    {
        var region = Parent.Region;
        ReclaimDirection(region, Master.TxRings, Slave.RxRings);
        ReclaimDirection(region, Slave.TxRings, Master.RxRings);
        Master.Kick.Dispose();
        Slave.Kick.Dispose();
        Parent.Remove(this);
    }

    private static void ReclaimDirection(MemoryRegion region, RingFactory.CreatedRing[] tx, RingFactory.CreatedRing[] rx)
    {
        for (int r = 0; r < tx.Length; r++)
        {
            var t = RingFactory.Slots(region, tx[r]);
            var s = RingFactory.Slots(region, rx[r]);
            ref var rk = ref RingFactory.State(region, rx[r]);
            uint n = tx[r].NumSlots, from = rk.HwCur, to = rk.HwTail;
            bool valid = from < n && to < n;
            for (uint i = 0; i < n; i++)
            {
                bool receiverOwns = valid && from != to && RingMath.InClosedRange(i, from, RingMath.Prev(to, n)) ;
                uint idx = receiverOwns ? s[(int)i].BufferIndex : t[(int)i].BufferIndex;
                region.ReleaseBuffer(idx);
            }
            RingFactory.Destroy(region, tx[r]);
            RingFactory.Destroy(region, rx[r]);
        }
    }
}
