using System.Diagnostics;
using System.Runtime.CompilerServices;
using Netmap.Tools;

namespace Netmap.Bench.Vale;

/// <summary>
/// One receiver thread serving one or more VALE ports' RX ring 0, pkt-gen -f rx style: sync, count every slot from
/// head to tail (reading its length), release them all. Busy: RxSync in a loop (the thread owns its CPU; one thread
/// serves both ports of the broadcast mode so that two pollers never share a core). Poll: netmap's poll() on a
/// single port (spin, then sleep until the switch kicks).
/// </summary>
internal sealed class Receiver(NetmapPort[] ports, bool busy, int cpu, Phase phase, CountdownEvent ready)
{
    private long _packets;
    private long _bytes;
    private long _windowBatches;
    private long _windowEmpty;
    private long _windowStalls, _windowStallTicks;

    public ThreadSample Start { get; private set; }
    public ThreadSample End { get; private set; }
    /// <summary>Per port: packets at <see cref="Start"/> and at <see cref="End"/>.</summary>
    public long[] StartPerPort { get; } = new long[ports.Length];
    public long[] EndPerPort { get; } = new long[ports.Length];
    public string? Error { get; private set; }
    public int Cpu => cpu;
    public int PortCount => ports.Length;
    public long Packets => Volatile.Read(ref _packets);
    public long Bytes => Volatile.Read(ref _bytes);
    /// <summary>Syncs that found packets during the measured window (packets / this = average RX batch).</summary>
    public long WindowBatches => Volatile.Read(ref _windowBatches);
    /// <summary>Syncs that found nothing during the measured window (the receiver waited for the switch).</summary>
    public long WindowEmpty => Volatile.Read(ref _windowEmpty);
    /// <summary>Gaps of 1 ms or more between two syncs that found packets, during the window, and their total
    /// length in Stopwatch ticks (time the switch delivered nothing to this thread).</summary>
    public long WindowStalls => Volatile.Read(ref _windowStalls);
    public long WindowStallTicks => Volatile.Read(ref _windowStallTicks);

    public Thread StartThread(string name)
    {
        if (!busy && ports.Length != 1) throw new ArgumentException("a polling receiver serves one port");
        var t = new Thread(Run) { IsBackground = true, Name = name };
        t.Start();
        return t;
    }

    private void Run()
    {
        if (cpu >= 0 && !CpuAffinity.PinCurrentThread(cpu)) Error = $"cannot pin to CPU {cpu}";
        ready.Signal();
        if (Error is not null) return;
        try { Loop(); }
        catch (Exception e) { Error = e.ToString(); }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Loop()
    {
        var ps = ports;
        var rings = ps.Select(p => p.RxRings[0]).ToArray();
        var got = new long[ps.Length];
        var clock = phase;
        bool spin = busy;
        long total = 0, bytes = 0, batches = 0, batchesAtStart = 0, empty = 0, emptyAtStart = 0;
        long stalls = 0, stallTicks = 0, lastData = Stopwatch.GetTimestamp(), stallMin = Stopwatch.Frequency / 1000;
        bool measuring = false;
        int seen = Phase.Warmup;
        while (true)
        {
            int now = clock.Value;
            if (now != seen)
            {
                if (seen == Phase.Warmup) { Start = ThreadSample.Take(total); got.CopyTo(StartPerPort, 0); batchesAtStart = batches; emptyAtStart = empty; measuring = true; lastData = Stopwatch.GetTimestamp(); }
                if (now == Phase.Stop)
                {
                    End = ThreadSample.Take(total);
                    got.CopyTo(EndPerPort, 0);
                    Volatile.Write(ref _bytes, bytes);
                    Volatile.Write(ref _windowBatches, batches - batchesAtStart);
                    Volatile.Write(ref _windowEmpty, empty - emptyAtStart);
                    Volatile.Write(ref _windowStalls, stalls);
                    Volatile.Write(ref _windowStallTicks, stallTicks);
                    return;
                }
                seen = now;
            }
            for (int i = 0; i < ps.Length; i++)
            {
                var ring = rings[i];
                if (spin) ps[i].RxSync(); else ps[i].Poll(PollEvents.In, 100);
                uint head = ring.Head, tail = ring.Tail;
                if (head == tail) { empty++; continue; }
                long c = 0;
                while (head != tail)
                {
                    bytes += ring.Slot(head).Length;
                    head = ring.Next(head);
                    c++;
                }
                ring.Head = ring.Cur = head;
                got[i] += c;
                total += c;
                batches++;
                long t = Stopwatch.GetTimestamp();
                if (measuring && t - lastData >= stallMin) { stalls++; stallTicks += t - lastData; }
                lastData = t;
            }
            Volatile.Write(ref _packets, total);
        }
    }
}
