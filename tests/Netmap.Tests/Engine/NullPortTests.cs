using Netmap.Abi;
using Netmap.Adapters;
using Netmap.Engine;
using Netmap.Rings;

namespace Netmap.Tests.Engine;

/// <summary>NR_REG_NULL ports (spec 7): rings over an existing allocator that move nothing.</summary>
public sealed class NullPortTests : IDisposable
{
    private readonly NetmapEngine _engine = new();
    private readonly EngineClient _pipe;
    private readonly EngineClient _c;

    public NullPortTests()
    {
        _pipe = new EngineClient(_engine);
        Assert.Equal(Errno.None, _pipe.Register("np{1"));
        _c = new EngineClient(_engine);
    }

    private ushort MemId => _pipe.Written.MemId;

    public void Dispose()
    {
        _c.Dispose();
        _pipe.Dispose();
        _engine.Dispose();
    }

    private static NmReqRegister Null(ushort memId, ushort tx = 1, ushort rx = 1, uint txSlots = 0, uint rxSlots = 0)
        => new() { Mode = RegisterMode.Null, MemId = memId, TxRings = tx, RxRings = rx, TxSlots = txSlots, RxSlots = rxSlots };

    [Fact]
    public void NullPort_WithoutAMemId_FailsEinval()
        => Assert.Equal(Errno.EINVAL, _c.Register("x", Null(0)));

    [Fact]
    public void NullPort_WithAMemIdThatDoesNotExist_FailsEinval()
        => Assert.Equal(Errno.EINVAL, _c.Register("x", Null(777)));

    [Fact]
    public void NullPort_InThePipesRegion_IsNamedNullColonName_WithTheRingsAsked()
    {
        long free = _engine.FreeBuffers(MemId);

        Assert.Equal(Errno.None, _c.Register("x", Null(MemId, tx: 3, rx: 2, txSlots: 64, rxSlots: 32)));

        var w = _c.Written;
        Assert.Equal(MemId, w.MemId);
        Assert.Same(_pipe.Registration!.Region, _c.Registration!.Region);
        Assert.Equal((3, 2, 64u, 32u), ((int)w.TxRings, (int)w.RxRings, w.TxSlots, w.RxSlots));
        ReadOnlySpan<byte> name = _c.Nifp.Name;
        Assert.Equal("null:x\0"u8.ToArray(), name[..7].ToArray());
        var (tx, rx) = _c.RingTable();
        Assert.All(tx, o => Assert.NotEqual(0, o));
        Assert.All(rx, o => Assert.NotEqual(0, o));
        Assert.Equal(free - 3 * 64 - 2 * 32, _engine.FreeBuffers(MemId));
    }

    [Fact]
    public void NullPort_WithZeroRings_IsAccepted()
    {
        Assert.Equal(Errno.None, _c.Register("zero", Null(MemId, tx: 0, rx: 0)));
        Assert.Equal((0, 0), ((int)_c.Written.TxRings, (int)_c.Written.RxRings));
        Assert.Equal((0u, 0u), (_c.Nifp.TxRings, _c.Nifp.RxRings));
    }

    [Fact]
    public void NullPort_IsNotFoundByNameAgain_EachRegistrationMakesItsOwn()
    {
        Assert.Equal(Errno.None, _c.Register("dup", Null(MemId)));
        using var other = new EngineClient(_engine);
        Assert.Equal(Errno.None, other.Register("dup", Null(MemId)));
        Assert.NotEqual(_c.NifpOffset + _c.RingOfs(0), other.NifpOffset + other.RingOfs(0));
        using var asker = new EngineClient(_engine);
        Assert.Equal(Errno.ENXIO, asker.Send(EngineClient.Request(RequestType.PortInfoGet, "null:dup", NmReqPortInfoGet.Size)));
    }

    [Fact]
    public void NullPort_ReturnsItsBuffers_AndKeepsTheRegionAliveUntilItCloses()
    {
        long free = _engine.FreeBuffers(MemId);
        Assert.Equal(Errno.None, _c.Register("keep", Null(MemId, tx: 2, rx: 2)));
        Assert.True(_engine.FreeBuffers(MemId) < free);

        _pipe.Dispose(); // the pipe and its parent go; the null port still uses the region
        Assert.Equal(0, _engine.PipeCount);
        Assert.True(_engine.FreeBuffers(MemId) > 0);

        _c.Dispose();
        Assert.Equal(-1, _engine.FreeBuffers(MemId));
        Assert.Equal(0, _engine.DoubleFrees);
    }

    [Fact]
    public void NullPortSyncs_ValidateButMoveNothing()
    {
        Assert.Equal(Errno.None, _c.Register("sync", Null(MemId, txSlots: 16, rxSlots: 16)));
        var layout = RegionLayout.Read(_c.Memory, _c.Registration!.Region.MemSize, "null");
        var tx = Kring.Open(_c.Memory, layout, _c.NifpOffset + _c.RingOfs(0), "null");
        var rx = Kring.Open(_c.Memory, layout, _c.NifpOffset + _c.RingOfs(2), "null");

        tx.Ring.Head = tx.Ring.Cur = 5;
        Assert.True(RingSync.TxSync(tx, _c.Registration.Token));
        Assert.Equal(15u, tx.Ring.Tail);
        Assert.True(RingSync.RxSync(rx, _c.Registration.Token));
        Assert.Equal(0u, rx.Ring.Tail);

        tx.Ring.Head = 99;
        Assert.False(RingSync.TxSync(tx, _c.Registration.Token));
        Assert.Equal(0u, tx.Ring.Head); // reset to hwcur, which never moved
    }
}
