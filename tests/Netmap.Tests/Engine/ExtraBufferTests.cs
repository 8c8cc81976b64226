using Netmap.Abi;
using Netmap.Engine;

namespace Netmap.Tests.Engine;

/// <summary>nr_extra_bufs (spec 3 "Extra buffers"): the list from ni_bufs_head, and what unregister frees.</summary>
public sealed class ExtraBufferTests : IDisposable
{
    private readonly NetmapEngine _engine = new();
    private readonly EngineClient _keeper;

    public ExtraBufferTests()
    {
        // The slave end keeps the pipe (and so the region) alive while the master end comes and goes.
        _keeper = new EngineClient(_engine);
        Assert.Equal(Errno.None, _keeper.Register("eb}1"));
    }

    private ushort MemId => _keeper.Written.MemId;

    public void Dispose()
    {
        _keeper.Dispose();
        _engine.Dispose();
    }

    private EngineClient Master(uint extra)
    {
        var c = new EngineClient(_engine);
        Assert.Equal(Errno.None, c.Register("eb{1", new NmReqRegister { Mode = RegisterMode.AllNic, ExtraBufs = extra }));
        return c;
    }

    [Fact]
    public void TenExtraBuffers_FormAChainOfTenDistinctValidIndices_NotUsedByAnyRing()
    {
        long before = _engine.FreeBuffers(MemId);
        using var c = Master(10);

        Assert.Equal(10u, c.Written.ExtraBufs);
        var chain = c.ExtraBufferChain();
        Assert.Equal(10, chain.Count);
        Assert.Equal(10, chain.Distinct().Count());
        uint total = c.Registration!.Region.Buffers.Geometry.ObjTotal;
        Assert.All(chain, b => Assert.InRange(b, 2u, total - 1));
        Assert.All(chain, b => Assert.True(c.Registration.Region.Buffers.IsAllocated(b)));
        Assert.Equal(before - 10, _engine.FreeBuffers(MemId));
        var inRings = RingBuffers(c);
        Assert.Empty(chain.Intersect(inRings));
    }

    [Fact]
    public void ExtraBuffers_AreAllReturnedWhenTheRegistrationCloses()
    {
        long before = _engine.FreeBuffers(MemId);
        var c = Master(10);
        c.Dispose();
        Assert.Equal(before, _engine.FreeBuffers(MemId));
        Assert.Equal(0, _engine.DoubleFrees);
    }

    [Fact]
    public void ZeroExtraBuffers_GiveAnEmptyList()
    {
        using var c = Master(0);
        Assert.Equal(0u, c.Nifp.BufsHead);
        Assert.Equal(0u, c.Written.ExtraBufs);
    }

    [Fact]
    public void MoreExtraBuffersThanFree_GivesWhatIsLeft_AndWritesBackTheActualCount()
    {
        long before = _engine.FreeBuffers(MemId);
        var c = Master(uint.MaxValue);
        Assert.Equal(0, _engine.FreeBuffers(MemId));
        Assert.Equal((uint)before, c.Written.ExtraBufs);
        Assert.Equal((int)before, c.ExtraBufferChain((int)before + 10).Count);
        c.Dispose();
        Assert.Equal(before, _engine.FreeBuffers(MemId));
    }

    [Fact]
    public void AChainThatLoops_DoesNotHangTheUnregister_AndEveryGrantedBufferComesBack()
    {
        long before = _engine.FreeBuffers(MemId);
        var c = Master(10);
        var chain = c.ExtraBufferChain();
        var region = c.Registration!.Region;
        c.Memory.Ref<uint>(region.BufferOffset(chain[4])) = chain[1]; // 0 -> 1 -> 2 -> 3 -> 4 -> 1 -> ...

        var closing = Task.Run(c.Dispose);
        Assert.True(closing.Wait(TimeSpan.FromSeconds(10)), "unregister hung on a looping chain");

        Assert.Equal(before, _engine.FreeBuffers(MemId)); // the ledger, not the chain, says what was granted
        Assert.Equal(0, _engine.DoubleFrees);
        using var again = Master(3); // the engine still works
        Assert.Equal(3u, again.Written.ExtraBufs);
    }

    [Theory]
    [InlineData(0u)]
    [InlineData(1u)]
    [InlineData(0xffff_fff0u)]
    public void AChainWithABadIndex_StillGivesBackEveryGrantedBuffer(uint bad)
    {
        long before = _engine.FreeBuffers(MemId);
        var c = Master(10);
        var chain = c.ExtraBufferChain();
        c.Memory.Ref<uint>(c.Registration!.Region.BufferOffset(chain[2])) = bad;

        c.Dispose();

        Assert.Equal(before, _engine.FreeBuffers(MemId));
        Assert.Equal(0, _engine.DoubleFrees);
        Assert.Equal(1, _engine.RegistrationCount); // only the keeper
    }

    [Fact]
    public void AChainTheUserShortened_StillGivesBackEveryGrantedBuffer()
    {
        long before = _engine.FreeBuffers(MemId);
        var c = Master(10);
        var chain = c.ExtraBufferChain();
        c.Nifp.BufsHead = chain[6]; // the user took six buffers out of the list and kept them nowhere the engine looks
        c.Dispose();
        Assert.Equal(before, _engine.FreeBuffers(MemId));
    }

    [Fact]
    public void AChainNamingTheRingsBuffers_FreesNoneOfThem_WhileTheRingsLive()
    {
        long before = _engine.FreeBuffers(MemId);
        var c = Master(4);
        var ring = RingBuffers(_keeper).Take(50).ToArray(); // the slave end's ring buffers, in use
        var mem = c.Memory;
        var region = c.Registration!.Region;
        for (int i = 0; i < ring.Length; i++) mem.Ref<uint>(region.BufferOffset(ring[i])) = i + 1 < ring.Length ? ring[i + 1] : 0u;
        c.Nifp.BufsHead = ring[0];

        c.Dispose();

        Assert.Equal(before, _engine.FreeBuffers(MemId)); // exactly the 4 granted came back
        Assert.All(ring, b => Assert.True(region.Buffers.IsAllocated(b)));
    }

    private static HashSet<uint> RingBuffers(EngineClient c)
    {
        var set = new HashSet<uint>();
        var (tx, rx) = c.RingTable();
        foreach (var ofs in tx.Concat(rx))
        {
            long ring = c.NifpOffset + ofs;
            ref var h = ref c.Memory.Ref<NetmapRingHeader>(ring);
            var slots = c.Memory.Span<NetmapSlot>(ring + NetmapRingHeader.OffsetOfSlots, (int)h.NumSlots);
            foreach (var s in slots) set.Add(s.BufferIndex);
        }
        return set;
    }
}
