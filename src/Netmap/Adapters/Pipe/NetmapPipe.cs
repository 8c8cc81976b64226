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
    private NetmapPipe(PipeParent parent, string id, BufferOwner buffers) { Parent = parent; Id = id; Buffers = buffers; }

    public PipeParent Parent { get; }
    public string Id { get; }
    /// <summary>The buffers of both directions (the engine's record; what <see cref="Destroy"/> reclaims).</summary>
    public BufferOwner Buffers { get; }
    /// <summary>What the pipe costs its creator (the pipe and its two kick lines), given back in <see cref="Destroy"/>.</summary>
    public ResourceCharge? Charge { get; set; }
    /// <summary>Who owns the pipe (its creator) and who else may open its ends.</summary>
    public ObjectAccess Access { get; set; } = ObjectAccess.Everyone;
    public PipeEnd Master { get; private set; } = null!;
    public PipeEnd Slave { get; private set; } = null!;

    /// <summary>Creates both ends: master with <paramref name="txRings"/> x <paramref name="txSlots"/> TX and
    /// <paramref name="rxRings"/> x <paramref name="rxSlots"/> RX (the slave gets them swapped). ENOMEM leaves nothing.</summary>
    public static NetmapPipe Create(PipeParent parent, string id, ushort txRings, ushort rxRings, uint txSlots, uint rxSlots)
    {
        var region = parent.Region;
        string owner = parent.Name + "{" + id;
        var pipe = new NetmapPipe(parent, id, region.Ledger.CreateOwner(owner));
        var created = new List<RingFactory.CreatedRing>();
        try
        {
            // Direction A: master TX -> slave RX. Direction B: slave TX -> master RX.
            var (mTx, sRx) = CreateDirection(region, pipe.Buffers, txRings, txSlots, owner, created);
            var (sTx, mRx) = CreateDirection(region, pipe.Buffers, rxRings, rxSlots, owner, created);
            var mKick = KickLine.Create(owner);
            KickLine sKick;
            try { sKick = KickLine.Create(owner); } catch { mKick.Dispose(); throw; }
            pipe.Master = new PipeEnd(pipe, true, mTx, mRx, mKick);
            pipe.Slave = new PipeEnd(pipe, false, sTx, sRx, sKick);
        }
        catch
        {
            RingFactory.DestroyAll(region, pipe.Buffers, created);
            throw;
        }
        return pipe;
    }

    private static (RingFactory.CreatedRing[] Tx, RingFactory.CreatedRing[] Rx) CreateDirection(
        MemoryRegion region, BufferOwner buffers, ushort rings, uint slots, string owner, List<RingFactory.CreatedRing> created)
    {
        var tx = new RingFactory.CreatedRing[rings];
        var rx = new RingFactory.CreatedRing[rings];
        var bufs = new uint[slots];
        for (ushort i = 0; i < rings; i++)
        {
            rx[i] = RingFactory.Create(region, slots, false, i, KringKind.PipeRx, owner); created.Add(rx[i]);
            tx[i] = RingFactory.Create(region, slots, true, i, KringKind.PipeTx, owner); created.Add(tx[i]);
            if (!region.Ledger.TryAllocate(buffers, bufs))
                throw NetmapException.Create(owner, "REGISTER", Errno.ENOMEM, $"not enough free buffers in mem_id {region.MemId} for {slots} slots");
            RingFactory.FillSlots(region, tx[i], bufs);
            RingFactory.FillSlots(region, rx[i], bufs);
            buffers.AddRing(tx[i].Offset, slots);
            buffers.AddRing(rx[i].Offset, slots);
            RingFactory.State(region, tx[i]).PeerRing = rx[i].Index;
            RingFactory.State(region, rx[i]).PeerRing = tx[i].Index;
        }
        return (tx, rx);
    }

    /// <summary>
    /// Frees the rings and the pipe's buffers: the engine's record says which they are, whatever the slots and the
    /// shared hwcur/hwtail say now (a client writes those). Buffers a zero-copy swap put into another live port of the
    /// region move to that port (<see cref="BufferLedger.Retire"/>).
    /// </summary>
    public void Destroy()
    {
        var region = Parent.Region;
        RingFactory.DestroyAll(region, Buffers, Master.TxRings.Concat(Master.RxRings).Concat(Slave.TxRings).Concat(Slave.RxRings));
        Master.Kick.Dispose();
        Slave.Kick.Dispose();
        Charge?.Dispose();
        Parent.Remove(this);
    }
}
