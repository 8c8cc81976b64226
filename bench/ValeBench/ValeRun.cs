using System.Diagnostics;
using Netmap.Tools;

namespace Netmap.Bench.Vale;

/// <summary>
/// One measured run of a <see cref="BenchMode"/>: a fresh engine (embedded, or behind an in-process DaemonServer),
/// the ports, the MAC table primed, the threads started and pinned, a warmup, then a window of
/// <see cref="BenchOptions.Seconds"/> in which every thread records its own start and end (packets, CPU time), and
/// VALE_PORT_STATS of every port is read on both sides of the window.
/// </summary>
internal static class ValeRun
{
    private static readonly byte[] ReceiverMac = [0x02, 0, 0, 0, 0, 0x99];
    private static readonly byte[] BroadcastMac = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff];

    private static byte[] SenderMac(int k) => [0x02, 0, 0, 0, 0x01, (byte)k];

    private static byte[] Frame(int size, byte[] dst, byte[] src)
    {
        var f = new byte[size];
        for (int i = 14; i < size; i++) f[i] = (byte)i;
        dst.CopyTo(f, 0);
        src.CopyTo(f, 6);
        f[12] = 0x88; f[13] = 0xb5; // local experimental ethertype: the switch does not care
        return f;
    }

    public static RunResult Execute(BenchMode mode, BenchOptions o, int run, CancellationToken cancel)
    {
        var result = new RunResult { Mode = mode, Run = run };
        var (senderCpu, receiverCpu, workerCpu) = o.Layout(mode);
        bool busy = o.BusyFor(mode);
        string sw = mode.Kind switch { "broadcast" => "vale1", "nto1" => "vale2", _ => "vale0" };
        var engine = new NetmapEngine();
        IDisposable? server = null;
        string? dir = null;
        var ports = new List<NetmapPort>();
        var threads = new List<Thread>();
        var phase = new Phase();
        try
        {
            NetmapHost host;
            if (mode.Daemon)
            {
                dir = Path.Combine("/tmp", $"valebench-{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..8]}");
                string socket = Path.Combine(dir, "netmapd.sock");
                engine.UseValeWorkers(1, TimeSpan.FromMicroseconds(o.WorkerSpinMicroseconds));
                server = InProcessDaemon.Start(engine, socket);
                if (workerCpu >= 0 && WorkerThreads.Pin(workerCpu) is { } why) result.Warnings.Add($"worker not pinned: {why}");
                host = NetmapHost.Daemon(socket);
            }
            else host = NetmapHost.Embedded(engine);

            // Ports: receivers first, so the priming frame below reaches every sender port too (harmless).
            var rxNames = mode.Receivers == 1 ? new[] { "rx" } : Enumerable.Range(1, mode.Receivers).Select(i => $"rx{i}").ToArray();
            var txNames = mode.Senders == 1 ? new[] { "tx" } : Enumerable.Range(1, mode.Senders).Select(i => $"s{i}").ToArray();
            var rxPorts = rxNames.Select(n => Open($"{sw}:{n}", host, ports)).ToArray();
            var txPorts = txNames.Select(n => Open($"{sw}:{n}", host, ports)).ToArray();

            // Learned unicast: the receiver speaks once (from ReceiverMac), so the learning bridge knows its port.
            if (!mode.FloodsOnPurpose) Prime(rxPorts[0], Frame(60, SenderMac(1), ReceiverMac), result);

            var ready = new CountdownEvent(txPorts.Length + (busy ? 1 : rxPorts.Length));
            var senders = new Sender[txPorts.Length];
            for (int k = 0; k < txPorts.Length; k++)
            {
                var frame = Frame(o.Size, mode.FloodsOnPurpose ? BroadcastMac : ReceiverMac, SenderMac(k + 1));
                senders[k] = new Sender(txPorts[k], frame, o.Batch, busy, senderCpu, phase, ready);
            }
            // Busy: one receiver thread for every receiver port; poll: one per port (a poller waits on one port).
            var receivers = busy
                ? [new Receiver(rxPorts, busy, receiverCpu, phase, ready)]
                : rxPorts.Select(p => new Receiver([p], busy, receiverCpu, phase, ready)).ToArray();
            for (int i = 0; i < receivers.Length; i++) threads.Add(receivers[i].StartThread($"bench-rx{i}"));
            for (int k = 0; k < senders.Length; k++) threads.Add(senders[k].StartThread($"bench-tx{k}"));
            if (!ready.Wait(TimeSpan.FromSeconds(10))) throw new TimeoutException("the bench threads did not start within 10 s");
            foreach (var e in senders.Select(s => s.Error).Concat(receivers.Select(r => r.Error)))
                if (e is not null) throw new InvalidOperationException(e);

            if (cancel.WaitHandle.WaitOne(TimeSpan.FromSeconds(o.WarmupSeconds))) { phase.Set(Phase.Stop); return result; }

            var before = rxNames.Concat(txNames).Select(n => NetmapControl.ValePortStats($"{sw}:{n}", host)).ToArray();
            var load0 = MachineLoad.Take();
            var worker0 = WorkerThreads.Sample();
            long t0 = Stopwatch.GetTimestamp();
            phase.Set(Phase.Measure);
            long lastCount = receivers.Sum(r => r.Packets), lastTime = t0;
            for (int s = 1; s <= o.Seconds; s++)
            {
                long due = t0 + s * Stopwatch.Frequency;
                int waitMs = (int)Math.Max(0, (due - Stopwatch.GetTimestamp()) * 1000 / Stopwatch.Frequency);
                if (cancel.WaitHandle.WaitOne(waitMs)) break;
                if (o.RateLines)
                {
                    long now = Stopwatch.GetTimestamp(), count = receivers.Sum(r => r.Packets);
                    double us = (now - lastTime) * 1e6 / Stopwatch.Frequency;
                    Console.Error.WriteLine($"ValeBench main_thread [{Environment.ProcessId}] {(count - lastCount) / us:F3} Mpps ({count - lastCount} pkts in {us:F0} usec) {mode} {o.Size} B");
                    lastCount = count; lastTime = now;
                }
            }
            long t1 = Stopwatch.GetTimestamp();
            phase.Set(Phase.Stop);
            var worker1 = WorkerThreads.Sample();
            var load1 = MachineLoad.Take();
            var after = rxNames.Concat(txNames).Select(n => NetmapControl.ValePortStats($"{sw}:{n}", host)).ToArray();
            foreach (var t in threads)
                if (!t.Join(TimeSpan.FromSeconds(5))) result.Warnings.Add($"thread {t.Name} did not stop within 5 s");
            foreach (var e in senders.Select(s => s.Error).Concat(receivers.Select(r => r.Error)))
                if (e is not null) result.Warnings.Add(e);

            result.Seconds = (t1 - t0) / (double)Stopwatch.Frequency;
            result.Sent = senders.Sum(s => s.End.Packets - s.Start.Packets);
            result.ReceivedPerPort = receivers.SelectMany(r => r.EndPerPort.Zip(r.StartPerPort, (e, b) => e - b)).ToArray();
            result.Received = result.ReceivedPerPort.Sum();
            int nrx = rxNames.Length;
            for (int i = 0; i < before.Length; i++)
            {
                long rxDrops = (long)(after[i].RxDrops - before[i].RxDrops);
                if (i < nrx) result.RxDrops += rxDrops;
                else
                {
                    result.TxDrops += (long)(after[i].TxDrops - before[i].TxDrops);
                    result.Flooded += (long)(after[i].RxPackets - before[i].RxPackets) + rxDrops;
                }
            }
            const double nsPerTick = 1e9 / ThreadStats.TicksPerSecond;
            if (result.Sent > 0)
            {
                double wall = senders.Sum(s => (double)(s.End.Timestamp - s.Start.Timestamp)) * 1e9 / Stopwatch.Frequency;
                result.SenderWallNs = wall / result.Sent;
                result.SenderCpuNs = senders.Sum(s => (double)(s.End.CpuTicks - s.Start.CpuTicks)) * nsPerTick / result.Sent;
                result.SenderPreempted = senders.Sum(s => s.End.Preempted - s.Start.Preempted);
                if (mode.Daemon) result.WorkerCpuNs = (worker1.CpuTicks - worker0.CpuTicks) * nsPerTick / result.Sent;
            }
            long rxBatches = receivers.Sum(r => r.WindowBatches);
            if (rxBatches > 0) result.RxBatch = (double)result.Received / rxBatches;
            long rxEmpty = receivers.Sum(r => r.WindowEmpty);
            if (rxBatches + rxEmpty > 0) result.RxEmptyPercent = 100.0 * rxEmpty / (rxBatches + rxEmpty);
            result.RxStalls = receivers.Sum(r => r.WindowStalls);
            result.RxStallPercent = 100.0 * receivers.Sum(r => (double)r.WindowStallTicks) / receivers.Length / (t1 - t0);
            if (result.Received > 0)
                result.ReceiverCpuNs = receivers.Sum(r => (double)(r.End.CpuTicks - r.Start.CpuTicks)) * nsPerTick / result.Received;
            if (result.Flooded > 0 && !mode.FloodsOnPurpose)
                result.Warnings.Add($"{result.Flooded} frames reached sender ports: the destination MAC was not learned (flooded)");

            string pin(int c) => c >= 0 ? $"cpu{c}" : "unpinned";
            string s1 = senders.Length == 1 ? "sender" : $"{senders.Length} senders";
            string r1 = receivers.Length == 1 ? (rxPorts.Length == 1 ? "receiver" : $"receiver ({rxPorts.Length} ports)") : $"{receivers.Length} receivers";
            result.Layout = mode.Daemon
                ? $"worker {pin(workerCpu)} ({worker1.Where}), {s1} {pin(senderCpu)}, {r1} {pin(receiverCpu)}, {(busy ? "busy" : "poll")}: {1 + senders.Length + receivers.Length} threads on {MachineLoad.MachineCpus} cores"
                : $"{s1} {pin(senderCpu)}, {r1} {pin(receiverCpu)}, {(busy ? "busy" : "poll")}";
            result.Load = MachineLoad.Describe(load0, load1);
            result.OthersPercent = MachineLoad.Others(load0, load1);
            return result;
        }
        finally
        {
            phase.Set(Phase.Stop);
            foreach (var t in threads) t.Join(TimeSpan.FromSeconds(5));
            foreach (var p in ports) p.Dispose();
            server?.Dispose();
            engine.Dispose();
            if (dir is not null) try { Directory.Delete(dir, true); } catch (IOException) { }
        }
    }

    private static NetmapPort Open(string name, NetmapHost host, List<NetmapPort> ports)
    {
        var p = NetmapPort.Open(name, host);
        ports.Add(p);
        return p;
    }

    /// <summary>Sends <paramref name="frame"/> from <paramref name="port"/> and waits (2 s at most) until the switch
    /// took it: at once embedded, when the worker has forwarded it through netmapd.</summary>
    private static void Prime(NetmapPort port, byte[] frame, RunResult result)
    {
        if (!port.Inject(frame)) { result.Warnings.Add("could not inject the priming frame"); return; }
        port.TxSync();
        var deadline = Stopwatch.GetTimestamp() + 2 * Stopwatch.Frequency;
        var ring = port.TxRings[0];
        while (ring.HasPendingTx && Stopwatch.GetTimestamp() < deadline)
        {
            Thread.Sleep(1);
            port.TxSync();
        }
        if (ring.HasPendingTx) result.Warnings.Add("the priming frame was not forwarded within 2 s");
    }
}
