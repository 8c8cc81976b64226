using Netmap.Abi;
using Netmap.Engine;
using Netmap.Memory;

namespace Netmap.Tests.Engine;

/// <summary>
/// Property test of the buffer ledger through the engine: pipes of one parent region, their registrations with extra
/// buffers, well-behaved clients that trade buffers zero-copy between any of their rings and lists (NS_BUF_CHANGED),
/// hostile clients that write garbage (other owners' indices, reserved ones, indices past the pool) into their own
/// slots and lists, and closes in random order. After every step: free + owned = usable, and every buffer a
/// well-behaved live client holds in a ring or its list is owned by a live owner (never freed under it). At the end
/// everything but the keeper's pipe is free again.
/// </summary>
public sealed class BufferConservationPropertyTests
{
    private const uint Slots = 8;
    /// <summary>Pipes besides the keeper: the parent region holds ring objects for four (netmap_mem_private_new, npipes = 2).</summary>
    private const int Pipes = 3;

    private sealed class Client
    {
        public required EngineClient Session { get; init; }
        public required string Name { get; init; }
        public required bool Hostile { get; init; }
        /// <summary>The client's idea of its list (what it writes back into ni_bufs_head and the links).</summary>
        public List<uint> List { get; } = new();
        public List<long> Rings { get; } = new();
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    [InlineData(6)]
    [InlineData(7)]
    [InlineData(8)]
    public void RandomSwapsGarbageAndCloses_ConserveEveryBuffer(int seed)
    {
        var rnd = new Random(seed);
        using var engine = new NetmapEngine();
        using var keeper = new EngineClient(engine);
        Assert.Equal(Errno.None, keeper.Register("pp{keep", new NmReqRegister { Mode = RegisterMode.AllNic, TxSlots = Slots, RxSlots = Slots }));
        var region = keeper.Registration!.Region;
        var ledger = region.Ledger;
        var mem = region.Mapping;
        uint total = region.Buffers.Geometry.ObjTotal;
        var clients = new List<Client>();
        var ends = Enumerable.Range(0, Pipes).SelectMany(i => new[] { $"pp{{{i}", $"pp}}{i}" }).ToList();
        // An end a hostile client had keeps its garbage for the next opener (the pipe lives while the peer is open):
        // whoever opens it later is counted as hostile too, so that "well-behaved" means "holds only what it was given".
        var tainted = new HashSet<string>();

        for (int step = 0; step < 400; step++)
        {
            int op = rnd.Next(10);
            var wellBehaved = clients.Where(c => !c.Hostile).ToList();
            if (op < 3 || clients.Count == 0)
            {
                var free = ends.Where(e => clients.All(c => c.Name != e)).ToList();
                if (free.Count == 0) continue;
                string name = free[rnd.Next(free.Count)];
                var s = new EngineClient(engine);
                uint extra = (uint)rnd.Next(0, 9);
                Assert.Equal(Errno.None, s.Register(name, new NmReqRegister { Mode = RegisterMode.AllNic, TxSlots = Slots, RxSlots = Slots, ExtraBufs = extra }));
                var c = new Client { Session = s, Name = name, Hostile = rnd.Next(4) == 0 || tainted.Contains(name) };
                if (c.Hostile) tainted.Add(name);
                c.List.AddRange(s.ExtraBufferChain());
                var (tx, rx) = s.RingTable();
                c.Rings.AddRange(tx.Concat(rx).Select(o => s.NifpOffset + o));
                clients.Add(c);
            }
            else if (op < 6 && wellBehaved.Count > 0)
            {
                // A zero-copy trade between two places of well-behaved clients (possibly the same one).
                var a = wellBehaved[rnd.Next(wellBehaved.Count)];
                var b = wellBehaved[rnd.Next(wellBehaved.Count)];
                ref uint pa = ref Place(a, rnd, mem, out bool aList, out int ai);
                ref uint pb = ref Place(b, rnd, mem, out bool bList, out int bi);
                (pa, pb) = (pb, pa);
                if (aList) a.List[ai] = pa;
                if (bList) b.List[bi] = pb;
                WriteList(a, mem, region);
                WriteList(b, mem, region);
            }
            else if (op < 8)
            {
                var hostile = clients.Where(c => c.Hostile).ToList();
                if (hostile.Count == 0) continue;
                var h = hostile[rnd.Next(hostile.Count)];
                for (int k = 0; k < 6; k++)
                {
                    uint garbage = rnd.Next(4) switch { 0 => 0u, 1 => 1u, 2 => total + (uint)rnd.Next(1000), _ => (uint)rnd.Next((int)total) };
                    long ring = h.Rings[rnd.Next(h.Rings.Count)];
                    Slot(mem, ring, (uint)rnd.Next((int)Slots)).BufferIndex = garbage;
                }
                if (h.List.Count > 0)
                {
                    mem.Ref<uint>(region.BufferOffset(h.List[rnd.Next(h.List.Count)])) = (uint)rnd.Next((int)total + 10);
                    if (rnd.Next(2) == 0) mem.Ref<NetmapIfHeader>(h.Session.NifpOffset).BufsHead = (uint)rnd.Next((int)total + 10);
                }
            }
            else if (clients.Count > 0)
            {
                var c = clients[rnd.Next(clients.Count)];
                c.Session.Dispose();
                clients.Remove(c);
                // A pipe whose both ends are closed is freed: a new one of that name starts clean.
                string id = c.Name[3..];
                if (clients.All(x => x.Name[3..] != id)) { tainted.Remove("pp{" + id); tainted.Remove("pp}" + id); }
            }
            Check(ledger, clients, mem, step);
        }

        foreach (var c in clients) c.Session.Dispose();
        Assert.Equal(1, engine.PipeCount);
        Assert.Equal(ledger.Usable, ledger.Free + ledger.Owned);
        // Only the keeper's pipe is left: 2 directions x Slots buffers, possibly plus what trades left with it.
        Assert.Equal(ledger.Owned, ledger.LiveOwners.Sum(o => o.Count));
        Assert.Single(ledger.LiveOwners);
        Assert.Equal(0, engine.DoubleFrees);
    }

    private static void Check(BufferLedger ledger, List<Client> clients, Interop.MappedMemory mem, int step)
    {
        Assert.True(ledger.Usable == ledger.Free + ledger.Owned, $"step {step}: free {ledger.Free} + owned {ledger.Owned} != {ledger.Usable}");
        Assert.True(ledger.Owned == ledger.LiveOwners.Sum(o => o.Count), $"step {step}: owner counts do not add up");
        foreach (var c in clients.Where(c => !c.Hostile))
        {
            foreach (long ring in c.Rings)
                for (uint i = 0; i < Slots; i++)
                {
                    uint b = Slot(mem, ring, i).BufferIndex;
                    Assert.True(ledger.OwnerOf(b) is not null, $"step {step}: {c.Name} holds buffer {b} in a slot, but it is free");
                }
            foreach (uint b in c.List)
                Assert.True(ledger.OwnerOf(b) is not null, $"step {step}: {c.Name} holds buffer {b} in its list, but it is free");
        }
    }

    private static ref NetmapSlot Slot(Interop.MappedMemory mem, long ring, uint i)
        => ref mem.Ref<NetmapSlot>(ring + NetmapRingHeader.OffsetOfSlots + i * NetmapSlot.Size);

    /// <summary>A random ring slot's buffer index, or a random list entry (model only: the chain is rewritten after).</summary>
    private static ref uint Place(Client c, Random rnd, Interop.MappedMemory mem, out bool isList, out int index)
    {
        isList = c.List.Count > 0 && rnd.Next(3) == 0;
        if (isList)
        {
            index = rnd.Next(c.List.Count);
            return ref System.Runtime.InteropServices.CollectionsMarshal.AsSpan(c.List)[index];
        }
        index = -1;
        return ref Slot(mem, c.Rings[rnd.Next(c.Rings.Count)], (uint)rnd.Next((int)Slots)).BufferIndex;
    }

    private static void WriteList(Client c, Interop.MappedMemory mem, MemoryRegion region)
    {
        uint head = 0;
        for (int i = c.List.Count - 1; i >= 0; i--) { mem.Ref<uint>(region.BufferOffset(c.List[i])) = head; head = c.List[i]; }
        c.Session.Nifp.BufsHead = head;
    }
}
