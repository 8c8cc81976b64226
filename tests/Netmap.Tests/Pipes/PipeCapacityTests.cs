using Netmap.Api;

namespace Netmap.Tests.Pipes;

/// <summary>Capacity of a pipe direction (spec 6): num_slots - 1 unconsumed slots; the sender sees exactly what is unread.</summary>
public sealed class PipeCapacityTests : IDisposable
{
    private readonly PipePair _p = new("cap");

    public void Dispose() => _p.Dispose();

    [Fact]
    public void Direction_HoldsNumSlotsMinusOnePackets()
    {
        var tx = _p.Master.TxRings[0];
        uint n = tx.NumSlots;
        Assert.Equal(1024u, n);
        for (uint i = 0; i < n - 1; i++) Assert.True(_p.Master.Inject(BitConverter.GetBytes(i)));
        Assert.False(_p.Master.Inject(new byte[] { 1 }));
        Assert.True(_p.Master.TxSync());
        Assert.False(_p.Master.Inject(new byte[] { 1 }));

        Assert.True(_p.Slave.RxSync());
        Assert.Equal(n - 1, _p.Slave.RxRings[0].Space);
        Assert.True(_p.Master.TxSync());
        Assert.Equal(0u, tx.Space); // nothing consumed yet: still full
    }

    [Fact]
    public void Direction_StartsEmpty_WithTheWholeRingButOneSlotForTheSender()
    {
        Assert.Equal(1023u, _p.Master.TxRings[0].Space);
        Assert.Equal(1023u, _p.Slave.TxRings[0].Space);
        Assert.True(_p.Slave.RxRings[0].IsEmpty);
        Assert.True(_p.Slave.RxSync());
        Assert.True(_p.Slave.RxRings[0].IsEmpty);
        Assert.Equal(PollEvents.None, _p.Slave.Poll(PollEvents.In, 0));
        Assert.Equal(PollEvents.Out, _p.Slave.Poll(PollEvents.Out, 0));
    }

    [Fact]
    public void PartialRead_LeavesTheSenderExactlyTheUnreadSlotsBusy()
    {
        var tx = _p.Slave.TxRings[0];
        uint n = tx.NumSlots;
        for (int i = 0; i < 10; i++) Assert.True(_p.Slave.Inject(new byte[] { (byte)i }));
        Assert.True(_p.Slave.TxSync());
        Assert.Equal(n - 1 - 10, tx.Space);

        Assert.True(_p.Master.RxSync());
        for (int i = 0; i < 7; i++)
        {
            Assert.True(_p.Master.NextPacket(out var f, out _));
            Assert.Equal((byte)i, f[0]);
        }
        Assert.True(_p.Master.RxSync());
        Assert.Equal(n - 1 - 10, tx.Space); // the sender learns of it on its next sync

        Assert.True(_p.Slave.TxSync());
        Assert.Equal(n - 1 - 3, tx.Space);
        Assert.Equal(3u, _p.Master.RxRings[0].Space);
    }

    [Fact]
    public void SmallRing_CapacityIsAlsoNumSlotsMinusOne_AcrossManyRounds()
    {
        using var p = new PipePair("small", suffix: "@conf:slots=7");
        var tx = p.Master.TxRings[0];
        Assert.Equal(7u, tx.NumSlots);
        int next = 0, expect = 0;
        for (int round = 0; round < 50; round++)
        {
            int unread = (int)p.Slave.RxRings[0].Space, sent = 0;
            while (p.Master.Inject(BitConverter.GetBytes(next))) { next++; sent++; }
            Assert.Equal(6 - unread, sent);
            Assert.True(p.Master.TxSync());
            Assert.True(p.Slave.RxSync());
            int take = round % 3 == 0 ? 6 : round % 6 + 1;
            for (int i = 0; i < take && p.Slave.NextPacket(out var f, out _); i++)
                Assert.Equal(expect++, BitConverter.ToInt32(f));
            Assert.True(p.Slave.RxSync());
            Assert.True(p.Master.TxSync());
            Assert.Equal(6u, tx.Space + p.Slave.RxRings[0].Space);
        }
    }
}
