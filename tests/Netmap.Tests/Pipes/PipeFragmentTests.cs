using Netmap.Abi;
using Netmap.Api;
using Netmap.Rings;

namespace Netmap.Tests.Pipes;

/// <summary>Multi-slot packets (NS_MOREFRAG): the pipe publishes only whole packets (spec 6); Inject splits frames.</summary>
public sealed class PipeFragmentTests : IDisposable
{
    private readonly PipePair _p = new("frag");

    public void Dispose() => _p.Dispose();

    private static void Put(NetmapRing ring, byte tag, bool more)
    {
        ref var s = ref ring.Slot(ring.Head);
        ring.Buffer(s.BufferIndex)[0] = tag;
        s.Length = 1;
        s.Flags = more ? SlotFlags.MoreFragments : SlotFlags.None;
        ring.Head = ring.Cur = ring.Next(ring.Head);
    }

    [Fact]
    public void IncompletePacket_IsNotPublished_UntilItsLastFragmentIsSent()
    {
        var tx = _p.Master.TxRings[0];
        var rx = _p.Slave.RxRings[0];
        Put(tx, 1, more: true);
        Put(tx, 2, more: true);
        Assert.True(_p.Master.TxSync());
        Assert.True(_p.Slave.RxSync());
        Assert.True(rx.IsEmpty);
        Assert.Equal(PollEvents.None, _p.Slave.Poll(PollEvents.In, 0));

        Put(tx, 3, more: false);
        Assert.True(_p.Master.TxSync());
        Assert.True(_p.Slave.RxSync());

        Assert.Equal(3u, rx.Space);
        var got = new List<(byte, SlotFlags)>();
        while (_p.Slave.NextPacket(out var f, out var flags)) got.Add((f[0], flags));
        Assert.Equal(new[] { ((byte)1, SlotFlags.MoreFragments), ((byte)2, SlotFlags.MoreFragments), ((byte)3, SlotFlags.None) }, got);
    }

    [Fact]
    public void CompletePacketFollowedByAnIncompleteOne_OnlyTheCompleteOneIsPublished()
    {
        var tx = _p.Master.TxRings[0];
        Put(tx, 1, more: true);
        Put(tx, 2, more: false);
        Put(tx, 3, more: true);
        Assert.True(_p.Master.TxSync());
        Assert.True(_p.Slave.RxSync());
        Assert.Equal(2u, _p.Slave.RxRings[0].Space);

        Put(tx, 4, more: false);
        Assert.True(_p.Master.TxSync());
        Assert.True(_p.Slave.RxSync());
        Assert.Equal(4u, _p.Slave.RxRings[0].Space);
    }

    [Fact]
    public void Inject_SplitsAFrameIntoBufferSizedFragmentsChainedWithMoreFrag()
    {
        var frame = new byte[5000];
        new Random(5).NextBytes(frame);
        Assert.True(_p.Master.Inject(frame));
        Assert.True(_p.Master.TxSync());
        Assert.True(_p.Slave.RxSync());

        var lens = new List<int>();
        var flags = new List<SlotFlags>();
        var all = new List<byte>();
        while (_p.Slave.NextPacket(out var f, out var fl)) { lens.Add(f.Length); flags.Add(fl); all.AddRange(f.ToArray()); }
        Assert.Equal(new[] { 2048, 2048, 904 }, lens);
        Assert.Equal(new[] { SlotFlags.MoreFragments, SlotFlags.MoreFragments, SlotFlags.None }, flags);
        Assert.Equal(frame, all.ToArray());
    }

    [Fact]
    public void Inject_OfAFrameNeedingMoreThan64Fragments_IsRefusedAndWritesNothing()
    {
        var tx = _p.Master.TxRings[0];
        Assert.True(_p.Master.Inject(new byte[64 * 2048]));
        Assert.Equal(64u, tx.Head);
        Assert.False(_p.Master.Inject(new byte[64 * 2048 + 1]));
        Assert.Equal(64u, tx.Head);
        Assert.False(_p.Master.Inject(ReadOnlySpan<byte>.Empty));
    }

    [Fact]
    public void Inject_WhenTheRingHasRoomForOnlyPartOfTheFrame_WritesNothing()
    {
        using var p = new PipePair("fragsmall", suffix: "@conf:slots=8");
        var tx = p.Master.TxRings[0];
        for (int i = 0; i < 5; i++) Assert.True(p.Master.Inject(new byte[1]));
        Assert.Equal(2u, tx.Space);
        Assert.False(p.Master.Inject(new byte[3 * 2048]));
        Assert.Equal(5u, tx.Head);
        Assert.True(p.Master.Inject(new byte[2 * 2048]));
        Assert.Equal(0u, tx.Space);
    }
}
