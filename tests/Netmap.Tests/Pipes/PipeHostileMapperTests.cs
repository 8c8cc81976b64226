using Netmap.Rings;
using Netmap.Tests.Infrastructure;
using static Netmap.Tests.Infrastructure.HostileMapper;

namespace Netmap.Tests.Pipes;

/// <summary>
/// A pipe whose sender and receiver keep working while another mapper of the region flips every field of both
/// rings' kring records and headers (the report of issue "A shared netmapd that no client can crash": the sender
/// died in TxSync, the receiver spun in RxSync). Neither side may crash or hang; each keeps moving frames or reports
/// the ring reinitialised; the counters show the attack; once it stops, traffic flows again.
/// </summary>
public sealed class PipeHostileMapperTests
{
    private static readonly byte[] Frame = new byte[60];

    [Theory]
    [InlineData(HostileAttack.OutOfRange, "tx")]
    [InlineData(HostileAttack.OutOfRange, "rx")]
    [InlineData(HostileAttack.Random, "tx")]
    [InlineData(HostileAttack.Random, "rx")]
    public void SenderAndReceiver_SurviveAHostileMapper_AndRecoverWhenItStops(HostileAttack attack, string side)
    {
        using var p = new PipePair("hostile" + side + (int)attack);
        var tx = p.Master.TxKrings[0];
        var rx = p.Slave.RxKrings[0];
        var traffic = new TrafficUnderAttack(p.Master, p.Slave, Frame);
        Assert.True(traffic.ReceivesMore(1000, TimeSpan.FromSeconds(5)), "traffic before the attack");

        long flips;
        using (var hostile = new HostileMapper(side == "tx" ? RingFields(tx, "tx") : RingFields(rx, "rx"), attack, seed: 7))
        {
            Thread.Sleep(1500);
            flips = hostile.Flips;
        }

        bool recovered = traffic.ReceivesMore(1000, TimeSpan.FromSeconds(5));
        Assert.True(traffic.Stop(TimeSpan.FromSeconds(10)), "a sync hung");
        Assert.True(traffic.Exceptions.IsEmpty, string.Join("\n", traffic.Exceptions));
        Assert.True(flips > 1000, $"only {flips} flips");
        ulong noticed = tx.State.BadIndices + tx.State.Reinits + rx.State.BadIndices + rx.State.Reinits;
        Assert.True(noticed > 0 || traffic.SyncErrors > 0, "the attack went unnoticed");
        Assert.True(recovered, $"no traffic after the attack (sent {traffic.Sent}, received {traffic.Received}, errors {traffic.SyncErrors}) " + Dump(tx) + " / " + Dump(rx));
    }

    private static string Dump(Kring k)
    {
        ref var ks = ref k.State;
        var r = k.Ring;
        return $"ring h/c/t {r.Head}/{r.Cur}/{r.Tail} kring hwcur {ks.HwCur} hwtail {ks.HwTail} rhead {ks.RHead} rcur {ks.RCur} rtail {ks.RTail} seq {ks.SyncSeq} lock {ks.SyncLock} shadow hwcur {k.Shadow.HwCur} hwtail {k.Shadow.HwTail} rhead {k.Shadow.RHead} rtail {k.Shadow.RTail} seq {k.Shadow.Seq} bad {ks.BadIndices} reinits {ks.Reinits}";
    }

    [Fact]
    public void BothRingsAndTheirSlots_UnderAttackAtOnce_NothingCrashesOrHangs()
    {
        using var p = new PipePair("hostileall");
        var tx = p.Master.TxKrings[0];
        var rx = p.Slave.RxKrings[0];
        var traffic = new TrafficUnderAttack(p.Master, p.Slave, Frame);
        var fields = RingFields(tx, "tx").Concat(RingFields(rx, "rx"))
            .Concat(SlotIndices(tx.Ring, "tx")).Concat(SlotIndices(rx.Ring, "rx"));
        using (new HostileMapper(fields, HostileAttack.OutOfRange, seed: 3))
        using (new HostileMapper(fields.Reverse(), HostileAttack.Random, seed: 4))
            Thread.Sleep(1500);

        Assert.True(traffic.Stop(TimeSpan.FromSeconds(10)), "a sync hung");
        Assert.True(traffic.Exceptions.IsEmpty, string.Join("\n", traffic.Exceptions));
        Assert.True(tx.State.BadIndices + rx.State.BadIndices > 0);
    }

    [Fact]
    public void AHeldSyncLock_MakesTheSyncReturnAtOnce_AndNothingMoves()
    {
        using var p = new PipePair("hostilelock");
        var tx = p.Master.TxKrings[0];
        Assert.True(p.Master.Inject(Frame));
        Volatile.Write(ref tx.State.SyncLock, 0xdead); // held for ever by somebody else
        var clock = System.Diagnostics.Stopwatch.StartNew();
        for (int i = 0; i < 1000; i++) Assert.True(p.Master.TxSync());
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(1));
        Assert.Equal(0u, tx.State.HwCur); // nothing was handed over
        Volatile.Write(ref tx.State.SyncLock, 0);
        Assert.True(p.Master.TxSync());
        Assert.Equal(1u, tx.State.HwCur);
    }
}
