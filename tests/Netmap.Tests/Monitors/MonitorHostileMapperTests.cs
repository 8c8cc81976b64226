using System.Collections.Concurrent;
using System.Diagnostics;
using Netmap.Api;
using Netmap.Rings;
using Netmap.Tests.Infrastructure;
using Netmap.Tests.Vale;
using static Netmap.Tests.Infrastructure.HostileMapper;

namespace Netmap.Tests.Monitors;

/// <summary>
/// Monitors under a hostile mapper: pipe traffic with a copy monitor and a zero-copy monitor while another mapper
/// flips the monitor rings' fields (kring record and header: the producers read the monitor's hwcur, the monitor's
/// rxsync the producers' hwtail) and the monitored rings' link tables. Nobody crashes or hangs, and once the attack
/// stops both the pipe and the monitors receive again.
/// </summary>
public sealed class MonitorHostileMapperTests
{
    private sealed class Reader
    {
        private readonly Thread _thread;
        private volatile bool _stop;
        private long _received;

        public Reader(NetmapPort port)
        {
            _thread = new Thread(() =>
            {
                try
                {
                    while (!_stop)
                    {
                        port.Poll(PollEvents.In, 5);
                        while (port.NextPacket(out _, out _)) Interlocked.Increment(ref _received);
                    }
                }
                catch (Exception e) { Exceptions.Enqueue(e); }
            }) { IsBackground = true, Name = "monitor reader" };
            _thread.Start();
        }

        public ConcurrentQueue<Exception> Exceptions { get; } = new();
        public long Received => Volatile.Read(ref _received);

        public bool ReceivesMore(long more, TimeSpan timeout)
        {
            long target = Received + more;
            var clock = Stopwatch.StartNew();
            while (Received < target && clock.Elapsed < timeout) Thread.Sleep(5);
            return Received >= target;
        }

        public bool Stop(TimeSpan bound) { _stop = true; return _thread.Join(bound); }
    }

    [Theory]
    [InlineData(HostileAttack.OutOfRange)]
    [InlineData(HostileAttack.Random)]
    public void PipeMonitors_SurviveAHostileMapper_AndRecoverWhenItStops(HostileAttack attack)
    {
        using var h = new ValeTestHost(false);
        string name = "hm" + (int)attack;
        using var m = NetmapPort.Open($"netmap:{name}{{1", h.Host);
        using var s = NetmapPort.Open($"netmap:{name}}}1", h.Host);
        using var copy = NetmapPort.Open($"netmap:{name}}}1/r", h.Host);
        using var zero = NetmapPort.Open($"netmap:{name}{{1/z", h.Host);
        var traffic = new TrafficUnderAttack(m, s, MonitorKit.Frame(1, 60));
        var readers = new[] { new Reader(copy), new Reader(zero) };
        Assert.True(readers.All(r => r.ReceivesMore(100, TimeSpan.FromSeconds(5))), "monitors before the attack");

        var fields = RingFields(copy.RxKrings[0], "copy rx").Concat(RingFields(zero.RxKrings[0], "zero rx"))
            .Concat(SlotIndices(zero.RxKrings[0].Ring, "zero rx"))
            .Concat(RingFields(m.TxKrings[0], "pipe tx").Where(f => f.Name.Contains("Monitor", StringComparison.Ordinal)))
            .Concat(RingFields(s.RxKrings[0], "pipe rx").Where(f => f.Name.Contains("Monitor", StringComparison.Ordinal)));
        using (new HostileMapper(fields, attack, seed: 9))
            Thread.Sleep(1500);

        bool pipeBack = traffic.ReceivesMore(1000, TimeSpan.FromSeconds(5));
        bool monitorsBack = readers.All(r => r.ReceivesMore(100, TimeSpan.FromSeconds(5)));
        Assert.True(traffic.Stop(TimeSpan.FromSeconds(10)), "a pipe sync hung");
        Assert.True(readers.All(r => r.Stop(TimeSpan.FromSeconds(10))), "a monitor sync hung");
        Assert.True(traffic.Exceptions.IsEmpty, string.Join("\n", traffic.Exceptions));
        Assert.True(readers.All(r => r.Exceptions.IsEmpty), string.Join("\n", readers.SelectMany(r => r.Exceptions)));
        ulong noticed = new[] { copy.RxKrings[0], zero.RxKrings[0], m.TxKrings[0], s.RxKrings[0] }.Aggregate(0UL, (t, k) => t + Noticed(k));
        Assert.True(noticed > 0, "the attack went unnoticed");
        Assert.True(pipeBack, $"pipe: no traffic after the attack (errors {traffic.SyncErrors})");
        Assert.True(monitorsBack, $"monitors: nothing after the attack (copy {readers[0].Received}, zero-copy {readers[1].Received})");
    }

    private static ulong Noticed(Kring k) => Volatile.Read(ref k.State.BadIndices) + Volatile.Read(ref k.State.Reinits);
}
