using System.Diagnostics;
using System.Globalization;
using Netmap.Abi;
using Netmap.Api;
using Netmap.Hosting;
using Netmap.Tests.Scenarios;

namespace Netmap.TestPeer;

/// <summary>
/// netmap-testpeer SOCKET vale-shell: a VALE client driven line by line from stdin, so one process can play several
/// phases of a scenario (open, send, receive, stay quiet, misbehave) in the order the test decides. Every command
/// gets exactly one reply line, "OK COMMAND ..." or "FAIL COMMAND: reason"; nothing else printed starts with OK or
/// FAIL. A failed command leaves the shell running. EOF or "exit" closes every port and exits 0.
/// Frames are <see cref="ValeScenarioFrame"/>s; MACs are written 02:00:00:00:00:0a.
/// </summary>
internal sealed class ValeShell(NetmapHost host)
{
    public const string UsageText = """
        vale-shell commands (one reply line each: OK ... | FAIL ...):
          open NAME SPEC                          open SPEC as NAME; reply: mem_id M tx_slots T rx_slots R
          close NAME | exit
          send NAME COUNT DST SRC TAG MIN MAX     send COUNT frames of TAG (lengths MIN..MAX), wait until forwarded
          recv NAME COUNT TIMEOUT_MS              receive COUNT more frames; every tag contiguous from 0 (cumulative per port)
          quiet NAME MS                           fail if any frame arrives within MS
          stream NAME DST SRC TAG MIN MAX         background: send until "stop NAME"
          drain NAME                              background: receive (tags strictly increasing) until "stop NAME"
          stop NAME                               end the background job; reply: its summary
          sink NAME TOTAL VALE_NAME TIMEOUT_MS    receive (tags strictly increasing) until received + VALE_NAME's rx drops
                                                  = TOTAL and received = its rx packets (NetmapControl.ValePortStats)
          kring NAME                              bad-index and reinit counters of TX/RX ring 0's kring records
          bad-mix NAME COUNT DST SRC TAG          COUNT times: one slot with a bad buffer index/length, then a good frame
          bad-head NAME VALUE | bad-rx-head NAME VALUE   ring head = VALUE, then txsync/rxsync; reply: its result
          bad-rhead NAME VALUE KICK_NAME          write the TX kring's rhead directly; kick the worker via KICK_NAME
          bad-hwcur NAME VALUE                    write the RX kring's hwcur directly
          scribble NAME                           invalid index and length in every TX and RX slot (no sync)
        """;

    private static readonly TimeSpan Stall = TimeSpan.FromSeconds(10);
    private readonly Dictionary<string, ValeShellPort> _ports = new(StringComparer.Ordinal);

    public int Run()
    {
        Console.WriteLine(PeerProtocol.Ready);
        try
        {
            string? line;
            while ((line = Console.ReadLine()) is not null)
            {
                var w = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (w.Length == 0) continue;
                if (w[0] == "exit") { Console.WriteLine("OK exit"); break; }
                string reply;
                try { reply = "OK " + w[0] + " " + Execute(w); }
                catch (PeerFailure f) { reply = $"FAIL {w[0]}: {f.Message}"; }
                catch (Exception e) // the shell outlives a failed command; the test decides
                {
                    reply = $"FAIL {w[0]}: {e.GetType().Name}: {e.Message}";
                }
                Console.WriteLine(reply.TrimEnd());
            }
        }
        finally
        {
            foreach (var p in _ports.Values)
            {
                try { p.Dispose(); } catch (PeerFailure) { }
            }
        }
        return 0;
    }

    private string Execute(string[] w)
    {
        return (w[0], w.Length - 1) switch
        {
            ("open", 2) => Open(w[1], w[2]),
            ("close", 1) => Close(w[1]),
            ("send", 7) => Send(Port(w[1]), Long(w[2]), Mac(w[3]), Mac(w[4]), UInt(w[5]), Int(w[6]), Int(w[7])),
            ("recv", 3) => Recv(Port(w[1]), Long(w[2]), Ms(w[3])),
            ("quiet", 2) => Quiet(Port(w[1]), Ms(w[2])),
            ("stream", 6) => Stream(Port(w[1]), Mac(w[2]), Mac(w[3]), UInt(w[4]), Int(w[5]), Int(w[6])),
            ("drain", 1) => Drain(Port(w[1])),
            ("stop", 1) => Stop(Port(w[1], idle: false)),
            ("sink", 4) => Sink(Port(w[1]), Long(w[2]), w[3], Ms(w[4])),
            ("kring", 1) => Kring(Port(w[1])),
            ("bad-mix", 5) => BadMix(Port(w[1]), Int(w[2]), Mac(w[3]), Mac(w[4]), UInt(w[5])),
            ("bad-head", 2) => BadHead(Port(w[1]), UInt(w[2]), tx: true),
            ("bad-rx-head", 2) => BadHead(Port(w[1]), UInt(w[2]), tx: false),
            ("bad-rhead", 3) => BadRHead(Port(w[1]), UInt(w[2]), Port(w[3])),
            ("bad-hwcur", 2) => BadHwCur(Port(w[1]), UInt(w[2])),
            ("scribble", 1) => Scribble(Port(w[1])),
            _ => throw new PeerFailure($"unknown command or wrong argument count ({w.Length - 1})"),
        };
    }

    private static int Int(string s) => int.Parse(s, CultureInfo.InvariantCulture);
    private static uint UInt(string s) => uint.Parse(s, CultureInfo.InvariantCulture);
    private static long Long(string s) => long.Parse(s, CultureInfo.InvariantCulture);
    private static ulong Mac(string s) => ValeScenarioFrame.ParseMac(s);
    private static TimeSpan Ms(string s) => TimeSpan.FromMilliseconds(Int(s));

    private ValeShellPort Port(string name, bool idle = true)
    {
        if (!_ports.TryGetValue(name, out var p)) throw new PeerFailure($"no port {name}");
        if (idle && p.Job is not null) throw new PeerFailure($"{name} runs a background job (stop it first)");
        return p;
    }

    // ---------------------------------------------------------------- ports

    private string Open(string name, string spec)
    {
        if (_ports.ContainsKey(name)) throw new PeerFailure($"{name} is open already");
        var port = NetmapPort.Open(spec, host);
        _ports.Add(name, new ValeShellPort(name, port));
        return $"{name} mem_id {port.MemId} tx_rings {port.TxRings.Count} rx_rings {port.RxRings.Count} tx_slots {port.TxSlots} rx_slots {port.RxSlots} memsize {port.MemSize}";
    }

    private string Close(string name)
    {
        var p = Port(name, idle: false);
        _ports.Remove(name);
        p.Dispose();
        return name;
    }

    // ---------------------------------------------------------------- traffic

    private static string Send(ValeShellPort p, long count, ulong dst, ulong src, uint tag, int min, int max)
    {
        long sent = p.Send(count, dst, src, tag, min, max, null, Stall);
        p.WaitDrained(TimeSpan.FromSeconds(10));
        return $"{p.Name} sent {sent}";
    }

    private static string Recv(ValeShellPort p, long count, TimeSpan timeout)
    {
        long before = p.Reader.Frames;
        p.Receive(p.Reader, before + count, timeout);
        return $"{p.Name} got {p.Reader.Frames - before} {p.Reader.Summary()}";
    }

    private static string Quiet(ValeShellPort p, TimeSpan period)
    {
        var reader = new ValeFrameReader(contiguous: false);
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < period)
        {
            p.Port.Poll(PollEvents.In, Math.Max(1, (int)(period - clock.Elapsed).TotalMilliseconds));
            if (reader.Drain(p.Port, long.MaxValue) > 0 || !AllEmpty(p.Port))
                throw new PeerFailure($"{p.Name} received {reader.Summary()} within {period.TotalMilliseconds} ms");
        }
        return p.Name;
    }

    private static bool AllEmpty(NetmapPort port)
    {
        foreach (var r in port.RxRings) if (!r.IsEmpty) return false;
        return true;
    }

    private static string Stream(ValeShellPort p, ulong dst, ulong src, uint tag, int min, int max)
    {
        p.Job = new ValeBackgroundJob($"stream {p.Name}", stop =>
        {
            long sent = p.Send(long.MaxValue, dst, src, tag, min, max, stop, Stall);
            p.WaitDrained(TimeSpan.FromSeconds(5));
            return $"sent {sent}";
        });
        return p.Name;
    }

    private static string Drain(ValeShellPort p)
    {
        p.Job = new ValeBackgroundJob($"drain {p.Name}", stop =>
        {
            var reader = new ValeFrameReader(contiguous: false);
            while (!stop())
            {
                ValeShellPort.Check(p.Port.RxSync(), "rxsync");
                if (reader.Drain(p.Port, long.MaxValue) > 0) continue;
                if ((p.Port.Poll(PollEvents.In, 20) & PollEvents.Error) != 0) throw new PeerFailure($"{p.Name}: poll reported POLLERR");
            }
            ValeShellPort.Check(p.Port.RxSync(), "rxsync");
            reader.Drain(p.Port, long.MaxValue);
            p.Port.RxSync();
            return reader.Summary();
        });
        return p.Name;
    }

    private string Stop(ValeShellPort p)
    {
        var job = p.Job ?? throw new PeerFailure($"{p.Name} runs no job");
        try { return $"{p.Name} {job.Stop(TimeSpan.FromSeconds(10))}"; }
        finally { p.Job = null; }
    }

    private string Sink(ValeShellPort p, long total, string valeName, TimeSpan timeout)
    {
        var reader = new ValeFrameReader(contiguous: false);
        var clock = Stopwatch.StartNew();
        var lastStats = Stopwatch.StartNew();
        NmReqValePortStats st = default;
        while (true)
        {
            ValeShellPort.Check(p.Port.RxSync(), "rxsync");
            if (reader.Drain(p.Port, long.MaxValue) > 0) continue;
            if (lastStats.ElapsedMilliseconds >= 10)
            {
                st = NetmapControl.ValePortStats(valeName, host);
                lastStats.Restart();
                long accounted = (long)(st.RxPackets + st.RxDrops);
                if (accounted > total) throw new PeerFailure($"{valeName} counts {st.RxPackets} received + {st.RxDrops} dropped > {total} sent");
                if (accounted == total && reader.Frames == (long)st.RxPackets)
                    return $"{p.Name} received {reader.Frames} rx_packets {st.RxPackets} rx_drops {st.RxDrops} seconds {clock.Elapsed.TotalSeconds:F3} {reader.Summary()}";
            }
            if (clock.Elapsed > timeout)
                throw new PeerFailure($"{p.Name}: after {timeout.TotalSeconds} s {reader.Frames} received; {valeName} rx_packets {st.RxPackets} rx_drops {st.RxDrops} (total {total}); {reader.Summary()}");
            if ((p.Port.Poll(PollEvents.In, 10) & PollEvents.Error) != 0) throw new PeerFailure($"{p.Name}: poll reported POLLERR");
        }
    }

    // ---------------------------------------------------------------- misbehaviour

    private static string Kring(ValeShellPort p)
    {
        ref var tx = ref ValeKringAccess.Tx(p.Port, 0);
        ref var rx = ref ValeKringAccess.Rx(p.Port, 0);
        return $"{p.Name} tx_bad {Volatile.Read(ref tx.BadIndices)} rx_bad {Volatile.Read(ref rx.BadIndices)} tx_reinits {tx.Reinits} rx_reinits {rx.Reinits}";
    }

    /// <summary>Bad slots the switch must refuse without touching memory outside the sender's region: indices 0 and
    /// 1 (reserved), the first index past the pool, 0xFFFFFFFF, lengths past the buffer and NS_INDIRECT. Each is
    /// followed by a good frame; the slots get their own buffers back afterwards.</summary>
    private static string BadMix(ValeShellPort p, int count, ulong dst, ulong src, uint tag)
    {
        var ring = p.Port.TxRings[0];
        var saved = new Dictionary<uint, uint>();
        int bad = 0, good = 0;
        for (int i = 0; i < count; i++)
        {
            p.WaitDrained(TimeSpan.FromSeconds(5)); // room for the pair, in the ring the switch reads
            uint head = ring.Head;
            ref var s = ref ring.Slot(head);
            saved.TryAdd(head, s.BufferIndex);
            uint valid = saved[head];
            (s.BufferIndex, s.Length, s.Flags) = (i % 7) switch
            {
                0 => (0u, (ushort)60, SlotFlags.None),
                1 => (1u, (ushort)60, SlotFlags.None),
                2 => (ring.BufferCount, (ushort)60, SlotFlags.None),
                3 => (uint.MaxValue, (ushort)60, SlotFlags.None),
                4 => (valid, (ushort)(ring.BufferSize + 1), SlotFlags.None),
                5 => (valid, ushort.MaxValue, SlotFlags.None),
                _ => (valid, (ushort)60, SlotFlags.Indirect),
            };
            s.Ptr = 0x1000;
            ring.Head = ring.Cur = ring.Next(head);
            bad++;
            good += (int)p.Send(1, dst, src, tag, ValeScenarioFrame.MinLength, 200, null, Stall);
        }
        p.WaitDrained(TimeSpan.FromSeconds(5));
        // Give every slot its buffer back (the library's own Inject would write into index 0 otherwise).
        foreach (var (slot, idx) in saved)
        {
            ref var s = ref ring.Slot(slot);
            s.BufferIndex = idx; s.Flags = SlotFlags.None; s.Ptr = 0;
        }
        return $"{p.Name} bad {bad} good {good}";
    }

    private static string BadHead(ValeShellPort p, uint value, bool tx)
    {
        var ring = tx ? p.Port.TxRings[0] : p.Port.RxRings[0];
        ring.Head = value;
        bool ok = tx ? p.Port.TxSync() : p.Port.RxSync();
        return $"{p.Name} {(tx ? "txsync" : "rxsync")} {ok} head {ring.Head} cur {ring.Cur} tail {ring.Tail} slots {ring.NumSlots}";
    }

    /// <summary>rhead is what the client's txsync publishes to netmapd's worker; written here without the prologue's
    /// checks. Waits until the worker counted it as a bad index, then lets the library's next txsync repair it.</summary>
    private static string BadRHead(ValeShellPort p, uint value, ValeShellPort kick)
    {
        ref var ks = ref ValeKringAccess.Tx(p.Port, 0);
        ulong before = Volatile.Read(ref ks.BadIndices);
        Volatile.Write(ref ks.RHead, value);
        var clock = Stopwatch.StartNew();
        while (Volatile.Read(ref ks.BadIndices) == before)
        {
            if (clock.Elapsed > TimeSpan.FromSeconds(5)) throw new PeerFailure("the worker did not count the bad rhead within 5 s");
            kick.Port.TxSync(); // a txsync of another port wakes the worker if it sleeps
            Thread.Sleep(2);
        }
        ulong after = Volatile.Read(ref ks.BadIndices);
        bool resync = p.Port.TxSync(); // rhead out of range: the sync takes its own copy back
        return $"{p.Name} bad_delta {after - before} resync {resync} rhead {Volatile.Read(ref ks.RHead)} hwcur {Volatile.Read(ref ks.HwCur)}";
    }

    private static string BadHwCur(ValeShellPort p, uint value)
    {
        ref var ks = ref ValeKringAccess.Rx(p.Port, 0);
        Volatile.Write(ref ks.HwCur, value);
        return $"{p.Name} hwcur {value}";
    }

    private static string Scribble(ValeShellPort p)
    {
        int n = 0;
        foreach (var ring in p.Port.TxRings.Concat(p.Port.RxRings))
            for (uint i = 0; i < ring.NumSlots; i++, n++)
            {
                ref var s = ref ring.Slot(i);
                s.BufferIndex = (i & 1) == 0 ? uint.MaxValue : 1; s.Length = ushort.MaxValue; s.Flags = SlotFlags.MoreFragments;
            }
        return $"{p.Name} slots {n}";
    }
}
