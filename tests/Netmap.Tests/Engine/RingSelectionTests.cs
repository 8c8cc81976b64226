using Netmap.Abi;
using Netmap.Engine;

namespace Netmap.Tests.Engine;

/// <summary>Which rings a registration binds (ring_ofs), and NR_EXCLUSIVE (spec 1.4, 3 "Ring selection").</summary>
public sealed class RingSelectionTests : IDisposable
{
    private readonly NetmapEngine _engine = new();
    private readonly List<EngineClient> _clients = new();

    public void Dispose()
    {
        foreach (var c in _clients) c.Dispose();
        _engine.Dispose();
    }

    private EngineClient Client()
    {
        var c = new EngineClient(_engine);
        _clients.Add(c);
        return c;
    }

    private static NmReqRegister Body(RegisterMode mode, ushort ringId = 0, RegisterFlags flags = RegisterFlags.None, ushort txRings = 4, ushort rxRings = 4)
        => new() { Mode = mode, RingId = ringId, Flags = flags, TxRings = txRings, RxRings = rxRings };

    private static bool[] Bound(long[] ofs) => ofs.Select(o => o != 0).ToArray();

    /// <summary>libnetmap's nmport_mmap: the first run of non-zero ring_ofs gives [first, last).</summary>
    private static (int First, int Last) FirstRun(long[] ofs)
    {
        int first = Array.FindIndex(ofs, o => o != 0);
        if (first < 0) return (0, 0);
        int last = first;
        while (last < ofs.Length && ofs[last] != 0) last++;
        return (first, last);
    }

    [Fact]
    public void AllNic_BindsEveryRing_EachPointingAtARingOfItsDirection()
    {
        var c = Client();
        Assert.Equal(Errno.None, c.Register("all{1", Body(RegisterMode.AllNic)));
        var (tx, rx) = c.RingTable();
        Assert.All(tx, o => Assert.NotEqual(0, o));
        Assert.All(rx, o => Assert.NotEqual(0, o));
        Assert.Equal(8, tx.Concat(rx).Distinct().Count());
        for (int i = 0; i < 4; i++)
        {
            ref var t = ref c.Memory.Ref<NetmapRingHeader>(c.NifpOffset + tx[i]);
            ref var r = ref c.Memory.Ref<NetmapRingHeader>(c.NifpOffset + rx[i]);
            Assert.Equal((1, i, 1024u), ((int)t.Direction, (int)t.RingId, t.NumSlots));
            Assert.Equal((0, i, 1024u), ((int)r.Direction, (int)r.RingId, r.NumSlots));
            Assert.Equal(c.Registration!.Region.Buffers.Offset, c.NifpOffset + tx[i] + t.BufOfs);
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(2)]
    [InlineData(3)]
    public void OneNic_BindsOnlyThatRingPair_OtherRingOfsAreZero(int ring)
    {
        var c = Client();
        Assert.Equal(Errno.None, c.Register("one{1", Body(RegisterMode.OneNic, (ushort)ring)));
        var (tx, rx) = c.RingTable();
        var expected = Enumerable.Range(0, 4).Select(i => i == ring).ToArray();
        Assert.Equal(expected, Bound(tx));
        Assert.Equal(expected, Bound(rx));
        Assert.Equal((ring, ring + 1), FirstRun(tx));
        Assert.Equal((ring, ring + 1), FirstRun(rx));
        Assert.Equal((4, 4), ((int)c.Written.TxRings, (int)c.Written.RxRings)); // the port's counts, not the bound ones
        Assert.Equal((ushort)ring, c.Written.RingId);
    }

    [Fact]
    public void OneNic_OnTheDirectionWithFewerRings_UsesRingZero()
    {
        var c = Client();
        Assert.Equal(Errno.None, c.Register("few{1", Body(RegisterMode.OneNic, 3, txRings: 4, rxRings: 1)));
        var (tx, rx) = c.RingTable();
        Assert.Equal(new[] { false, false, false, true }, Bound(tx));
        Assert.Equal(new[] { true }, Bound(rx));
    }

    [Fact]
    public void OneNic_BeyondBothRingCounts_FailsEinval_AndLeavesNoPipe()
    {
        var c = Client();
        Assert.Equal(Errno.EINVAL, c.Register("far{1", Body(RegisterMode.OneNic, 4)));
        Assert.Equal(0, _engine.PipeCount);
        Assert.Equal(0, _engine.RegistrationCount);
    }

    [Fact]
    public void TxRingsOnly_LeavesEveryRxRingUnbound()
    {
        var c = Client();
        Assert.Equal(Errno.None, c.Register("txo{1", Body(RegisterMode.AllNic, flags: RegisterFlags.TxRingsOnly)));
        var (tx, rx) = c.RingTable();
        Assert.All(tx, o => Assert.NotEqual(0, o));
        Assert.All(rx, o => Assert.Equal(0, o));
    }

    [Fact]
    public void RxRingsOnly_LeavesEveryTxRingUnbound_AlsoWithOneNic()
    {
        var c = Client();
        Assert.Equal(Errno.None, c.Register("rxo{1", Body(RegisterMode.OneNic, 1, flags: RegisterFlags.RxRingsOnly)));
        var (tx, rx) = c.RingTable();
        Assert.All(tx, o => Assert.Equal(0, o));
        Assert.Equal(new[] { false, true, false, false }, Bound(rx));
    }

    [Fact]
    public void TwoRegistrationsOfTheSameEnd_ShareTheSameRingObjects()
    {
        var a = Client();
        var b = Client();
        Assert.Equal(Errno.None, a.Register("sh{1", Body(RegisterMode.AllNic)));
        Assert.Equal(Errno.None, b.Register("sh{1", Body(RegisterMode.OneNic, 2)));
        Assert.NotEqual(a.NifpOffset, b.NifpOffset);
        Assert.Equal(a.NifpOffset + a.RingTable().Tx[2], b.NifpOffset + b.RingTable().Tx[2]);
        Assert.Equal(a.NifpOffset + a.RingTable().Rx[2], b.NifpOffset + b.RingTable().Rx[2]);
    }

    [Fact]
    public void Exclusive_AfterAPlainUserOfTheSameRing_FailsEbusy()
    {
        Assert.Equal(Errno.None, Client().Register("ex{1", Body(RegisterMode.AllNic)));
        var c = Client();
        Assert.Equal(Errno.EBUSY, c.Register("ex{1", Body(RegisterMode.OneNic, 2, RegisterFlags.Exclusive)));
        Assert.Equal(1, _engine.RegistrationCount);
        Assert.Equal(Errno.None, c.Register("ex{1", Body(RegisterMode.AllNic))); // the failed attempt left the session free
    }

    [Fact]
    public void PlainBind_OfAnExclusivelyHeldRing_FailsEbusy_ButOtherRingsAreFree()
    {
        Assert.Equal(Errno.None, Client().Register("ex{2", Body(RegisterMode.OneNic, 1, RegisterFlags.Exclusive)));
        Assert.Equal(Errno.EBUSY, Client().Register("ex{2", Body(RegisterMode.AllNic)));
        Assert.Equal(Errno.EBUSY, Client().Register("ex{2", Body(RegisterMode.OneNic, 1)));
        Assert.Equal(Errno.EBUSY, Client().Register("ex{2", Body(RegisterMode.OneNic, 1, RegisterFlags.Exclusive)));
        Assert.Equal(Errno.None, Client().Register("ex{2", Body(RegisterMode.OneNic, 2)));
        Assert.Equal(Errno.None, Client().Register("ex}2", Body(RegisterMode.AllNic))); // the other end is another adapter
    }

    [Fact]
    public void ExclusiveHold_IsReleasedWhenTheHoldingSessionCloses()
    {
        var keeper = Client();
        Assert.Equal(Errno.None, keeper.Register("ex}3", Body(RegisterMode.AllNic))); // keeps the pipe alive
        var holder = new EngineClient(_engine);
        Assert.Equal(Errno.None, holder.Register("ex{3", Body(RegisterMode.AllNic, flags: RegisterFlags.Exclusive)));
        Assert.Equal(Errno.EBUSY, Client().Register("ex{3", Body(RegisterMode.OneNic, 0)));

        holder.Dispose();

        Assert.Equal(Errno.None, Client().Register("ex{3", Body(RegisterMode.AllNic)));
    }

    [Fact]
    public void PlainUsers_AllGoneAfterClose_LetAnExclusiveBindSucceed()
    {
        var keeper = Client();
        Assert.Equal(Errno.None, keeper.Register("ex}4", Body(RegisterMode.AllNic)));
        var plain = new EngineClient(_engine);
        Assert.Equal(Errno.None, plain.Register("ex{4", Body(RegisterMode.AllNic)));
        plain.Dispose();
        Assert.Equal(Errno.None, Client().Register("ex{4", Body(RegisterMode.AllNic, flags: RegisterFlags.Exclusive)));
    }
}
