using Netmap.Api;
using Netmap.Rings;
using Netmap.Tests.Infrastructure;
using static Netmap.Tests.Infrastructure.HostileMapper;
using static Netmap.Tests.Vale.ValeFrames;

namespace Netmap.Tests.Vale;

/// <summary>
/// VALE traffic a → b while another mapper of a port's region flips every field of the sender's TX ring or the
/// receiver's RX ring (kring record and header), embedded (the caller's txsync forwards) and through netmapd (a
/// worker forwards, reading the client's published head from the client's region). Nobody crashes or hangs, the
/// attack is counted, and frames flow again once it stops.
/// </summary>
public sealed class ValeHostileMapperTests
{
    private static readonly byte[] FrameAB = Frame(Broadcast, Mac(0xa), 60);

    [Theory]
    [InlineData(false, HostileAttack.OutOfRange, "tx")]
    [InlineData(false, HostileAttack.OutOfRange, "rx")]
    [InlineData(false, HostileAttack.Random, "tx")]
    [InlineData(false, HostileAttack.Random, "rx")]
    [InlineData(true, HostileAttack.OutOfRange, "tx")]
    [InlineData(true, HostileAttack.OutOfRange, "rx")]
    [InlineData(true, HostileAttack.Random, "tx")]
    [InlineData(true, HostileAttack.Random, "rx")]
    public void SenderAndReceiver_SurviveAHostileMapper_AndRecoverWhenItStops(bool daemon, HostileAttack attack, string side)
    {
        using var h = new ValeTestHost(daemon);
        string sw = $"vale{(daemon ? 1 : 0)}{(int)attack}{side}";
        using var a = NetmapPort.Open(sw + ":a", h.Host);
        using var b = NetmapPort.Open(sw + ":b", h.Host);
        var tx = a.TxKrings[0];
        var rx = b.RxKrings[0];
        var traffic = new TrafficUnderAttack(a, b, FrameAB);
        Assert.True(traffic.ReceivesMore(1000, TimeSpan.FromSeconds(5)), "traffic before the attack");

        long flips;
        using (var hostile = new HostileMapper(side == "tx" ? RingFields(tx, "a tx") : RingFields(rx, "b rx"), attack, seed: 11))
        {
            Thread.Sleep(1500);
            flips = hostile.Flips;
        }

        bool recovered = traffic.ReceivesMore(1000, TimeSpan.FromSeconds(5));
        Assert.True(traffic.Stop(TimeSpan.FromSeconds(10)), "a sync hung");
        Assert.True(traffic.Exceptions.IsEmpty, string.Join("\n", traffic.Exceptions));
        Assert.True(flips > 1000, $"only {flips} flips");
        ulong noticed = Noticed(tx) + Noticed(rx);
        Assert.True(noticed > 0 || traffic.SyncErrors > 0, "the attack went unnoticed");
        Assert.True(recovered, $"no traffic after the attack (sent {traffic.Sent}, received {traffic.Received}, errors {traffic.SyncErrors}) a.tx: {Dump(tx)} b.rx: {Dump(rx)}");
    }

    private static string Dump(Kring k)
    {
        ref var ks = ref k.State;
        var r = k.Ring;
        return $"ring h/c/t {r.Head}/{r.Cur}/{r.Tail} kring hwcur {ks.HwCur} hwtail {ks.HwTail} rhead {ks.RHead} rcur {ks.RCur} rtail {ks.RTail} lock {ks.SyncLock} nk {ks.NeedKick} enk {ks.EngineNeedKick} shadow hwcur {k.Shadow.HwCur} hwtail {k.Shadow.HwTail} rhead {k.Shadow.RHead} rtail {k.Shadow.RTail} bad {ks.BadIndices} reinits {ks.Reinits}";
    }

    private static ulong Noticed(Kring k) => Volatile.Read(ref k.State.BadIndices) + Volatile.Read(ref k.State.Reinits);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void TheSendersSlots_UnderAttack_AreCountedAndTheSwitchGoesOn(bool daemon)
    {
        using var h = new ValeTestHost(daemon);
        string sw = daemon ? "vale7" : "vale6";
        using var a = NetmapPort.Open(sw + ":a", h.Host);
        using var b = NetmapPort.Open(sw + ":b", h.Host);
        var tx = a.TxKrings[0];
        var traffic = new TrafficUnderAttack(a, b, FrameAB);
        using (new HostileMapper(SlotIndices(tx.Ring, "a tx"), HostileAttack.OutOfRange, seed: 5))
            Thread.Sleep(1000);
        bool recovered = traffic.ReceivesMore(1000, TimeSpan.FromSeconds(5));
        Assert.True(traffic.Stop(TimeSpan.FromSeconds(10)), "a sync hung");
        Assert.True(traffic.Exceptions.IsEmpty, string.Join("\n", traffic.Exceptions));
        Assert.True(Volatile.Read(ref tx.State.BadIndices) + (ulong)a.InvalidSlots > 0, "bad buffer indices went uncounted");
        Assert.True(recovered);
    }
}
