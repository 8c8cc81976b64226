using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;
using Netmap;
using Netmap.Abi;
using Netmap.Api;
using Netmap.Hosting;
using Netmap.Tests.Scenarios;

namespace Netmap.TestPeer;

/// <summary>
/// netmap-testpeer SOCKET COMMAND [ARGS]: a scripted netmap client for the scenario tests. SOCKET is netmapd's
/// socket path, or "-" for the default host (NETMAP_SOCKET / autostart). Progress goes to stdout one line at a
/// time (READY, SENT n checksum, RECEIVED n checksum, CPU ms, ERROR errno message); exit 0 = success, 1 = the
/// scenario failed ("FAIL reason" on stdout), 2 = bad usage. Waiting is always a blocking Poll, never a spin.
/// </summary>
internal static class Program
{
    private const string UsageText = """
        usage: netmap-testpeer SOCKET|-|embedded COMMAND [ARGS]
          send PORT N SEED MAXLEN               send N seeded packets of 1..MAXLEN bytes (multi-slot above the buffer size)
          recv PORT N SEED MAXLEN               receive N packets and check them byte for byte against the same generator
          exchange PORT N TXSEED RXSEED MAXLEN  both at once on one port (one thread, Poll(In|Out))
          send-pattern PORT N LEN               send N packets of LEN bytes, packet i filled with PeerProtocol.Pattern(i, j)
          recv-pattern PORT N LEN               receive N packets of LEN bytes, packet i filled with PeerProtocol.Pattern(i, j)
          hold PORT [exclusive]                 open (adding /x if "exclusive"; EBUSY retried for 5 s), print READY, sleep until killed
          stream PORT [ID]                      send stream packets (StreamPacket) of stream ID (default 1) forever
          sink PORT END                         receive stream packets (one stream, contiguous from wherever it starts)
                                                until seq END-1; prints FIRST seq, PROGRESS n every 1000, RECEIVED n first last
          partial-recv PORT K                   wait for K slots, consume exactly K, rxsync, print READY, sleep
          open-expect-error PORT ERRNO          exit 0 iff the open fails with ERRNO (name or number); print the message
          vale-shell                            a VALE client driven by commands on stdin (see below)
        """;

    private static int Main(string[] args)
    {
        if (args.Length < 2) return Usage("missing arguments");
        var host = args[0] switch
        {
            "-" => NetmapHost.Default,
            "embedded" => NetmapHost.Embedded(new NetmapEngine()),
            _ => NetmapHost.Daemon(args[0]),
        };
        string cmd = args[1];
        var a = args[2..];
        try
        {
            return (cmd, a.Length) switch
            {
                ("send", 4) => Transfer.Run(host, a[0], Long(a[1]), new GeneratorSource(ULong(a[2]), Int(a[3])), 0, null, true),
                ("recv", 4) => Transfer.Run(host, a[0], 0, null, Long(a[1]), new GeneratorSource(ULong(a[2]), Int(a[3])), true),
                ("exchange", 5) => Transfer.Run(host, a[0], Long(a[1]), new GeneratorSource(ULong(a[2]), Int(a[4])),
                                                Long(a[1]), new GeneratorSource(ULong(a[3]), Int(a[4])), true),
                ("send-pattern", 3) => Transfer.Run(host, a[0], Long(a[1]), new PatternSource(Int(a[2])), 0, null, true),
                ("recv-pattern", 3) => Transfer.Run(host, a[0], 0, null, Long(a[1]), new PatternSource(Int(a[2])), true),
                ("stream", 1 or 2) => Transfer.Run(host, a[0], long.MaxValue,
                                                   new StreamSource(a.Length == 2 ? uint.Parse(a[1], CultureInfo.InvariantCulture) : 1), 0, null, false),
                ("sink", 2) => Sink(host, a[0], ULong(a[1])),
                ("hold", 1) => Hold(host, a[0], false),
                ("hold", 2) when a[1] == "exclusive" => Hold(host, a[0], true),
                ("partial-recv", 2) => PartialRecv(host, a[0], Int(a[1])),
                ("open-expect-error", 2) => OpenExpectError(host, a[0], a[1]),
                ("vale-shell", 0) => new ValeShell(host).Run(),
                ("truncate-region", 1) => HostileClient.TruncateRegion(host, a[0]),
                ("forge-extra", 3) => HostileClient.ForgeExtra(host, a[0], a[1], uint.Parse(a[2], CultureInfo.InvariantCulture)),
                ("garbage-slots", 2) => HostileClient.GarbageSlots(host, a[0], a[1]),
                ("exhaust", 2 or 3) => HostileClient.Exhaust(host, a[0], Int(a[1]), a.Length == 3 ? uint.Parse(a[2], CultureInfo.InvariantCulture) : 0),
                _ => Usage($"unknown command or wrong argument count: {cmd} ({a.Length} arguments)"),
            };
        }
        catch (PeerFailure f)
        {
            Console.WriteLine($"{PeerProtocol.Fail} {f.Message}");
            return 1;
        }
        catch (Exception e)
        {
            Console.WriteLine($"{PeerProtocol.Fail} {e.GetType().Name}: {e.Message}");
            Console.Error.WriteLine(e);
            return 1;
        }
    }

    private static int Usage(string why)
    {
        Console.Error.WriteLine($"netmap-testpeer: {why}");
        Console.Error.WriteLine(UsageText);
        Console.Error.WriteLine(HostileClient.UsageText);
        Console.Error.WriteLine(ValeShell.UsageText);
        return 2;
    }

    private static int Int(string s) => int.Parse(s, CultureInfo.InvariantCulture);
    private static long Long(string s) => long.Parse(s, CultureInfo.InvariantCulture);
    private static ulong ULong(string s) => ulong.Parse(s, CultureInfo.InvariantCulture);

    private static int Hold(NetmapHost host, string spec, bool exclusive)
    {
        if (exclusive && !spec.Contains("/x", StringComparison.Ordinal)) spec += "/x";
        // EBUSY is retried for a while: a holder that just closed or died may not be released by netmapd yet.
        var clock = Stopwatch.StartNew();
        NetmapPort port;
        while (true)
        {
            try { port = NetmapPort.Open(spec, host); break; }
            catch (NetmapException e) when (e.Errno == Errno.EBUSY && clock.Elapsed < TimeSpan.FromSeconds(5))
            {
                Console.WriteLine($"BUSY {e.Message}");
                Thread.Sleep(5);
            }
        }
        using var held = port;
        Console.WriteLine($"OPENED {port.Interface.Name} mem_id {port.MemId} tx_slots {port.TxSlots} rx_slots {port.RxSlots}");
        Console.WriteLine(PeerProtocol.Ready);
        Thread.Sleep(Timeout.Infinite);
        return 0;
    }

    private static int Sink(NetmapHost host, string spec, ulong end)
    {
        using var port = NetmapPort.Open(spec, host);
        Console.WriteLine(PeerProtocol.Ready);
        var asm = new byte[1 << 20];
        int asmLen = 0;
        long count = 0;
        ulong first = 0, next = 0;
        uint stream = 0;
        var idle = Stopwatch.StartNew();
        while (true)
        {
            while (port.NextPacket(out var frame, out var flags))
            {
                idle.Restart();
                frame.CopyTo(asm.AsSpan(asmLen));
                asmLen += frame.Length;
                if ((flags & SlotFlags.MoreFragments) != 0) continue;
                var err = StreamPacket.Check(asm.AsSpan(0, asmLen), out uint s, out ulong seq);
                asmLen = 0;
                if (err is not null) throw new PeerFailure($"after {count} packets: {err}");
                if (count == 0) { first = seq; stream = s; Console.WriteLine($"FIRST {seq}"); }
                else if (s != stream || seq != next) throw new PeerFailure($"stream {s} seq {seq} arrived, expected stream {stream} seq {next}");
                next = seq + 1;
                count++;
                if (count % 1000 == 0) Console.WriteLine($"PROGRESS {count}");
                if (next == end)
                {
                    port.RxSync();
                    Console.WriteLine($"{PeerProtocol.Received} {count} {first} {seq}");
                    return 0;
                }
            }
            var ev = port.Poll(PollEvents.In, 1000);
            if (ev == PollEvents.HangUp) { Transfer.PeerGone(port); ev = PollEvents.None; }
            if (ev == PollEvents.None && idle.Elapsed > Transfer.IdleLimit)
                throw new PeerFailure($"nothing arrived for {Transfer.IdleLimit.TotalSeconds} s after {count} packets");
        }
    }

    private static int PartialRecv(NetmapHost host, string spec, int k)
    {
        using var port = NetmapPort.Open(spec, host);
        var ring = port.RxRings[0];
        if (k <= 0 || k >= ring.NumSlots) throw new PeerFailure($"K must be in [1, {ring.NumSlots - 1}]");
        var idle = Stopwatch.StartNew();
        while (true)
        {
            port.RxSync();
            if (ring.Space >= (uint)k) break;
            ring.Cur = ring.Tail; // wake me when the tail moves past what I have
            if (port.Poll(PollEvents.In, 1000) == PollEvents.None && idle.Elapsed > Transfer.IdleLimit)
                throw new PeerFailure($"only {ring.Space} slots arrived, waiting for {k}");
        }
        Console.WriteLine($"AVAILABLE {ring.Space}");
        uint head = ring.Head;
        for (int i = 0; i < k; i++) head = ring.Next(head);
        ring.Head = ring.Cur = head;
        if (!port.RxSync()) throw new PeerFailure("rxsync reinitialised the ring");
        Console.WriteLine($"REMAINING {ring.Space}");
        Console.WriteLine(PeerProtocol.Ready);
        Thread.Sleep(Timeout.Infinite);
        return 0;
    }

    private static int OpenExpectError(NetmapHost host, string spec, string errnoText)
    {
        Errno want = int.TryParse(errnoText, NumberStyles.Integer, CultureInfo.InvariantCulture, out int num)
            ? (Errno)num
            : Enum.Parse<Errno>(errnoText, ignoreCase: false);
        try
        {
            using var port = NetmapPort.Open(spec, host);
            Console.WriteLine($"{PeerProtocol.Fail} {spec} opened, expected {want}");
            return 1;
        }
        catch (NetmapException e)
        {
            Console.WriteLine($"{PeerProtocol.Error} {e.Errno} {e.Message}");
            if (e.Errno == want) return 0;
            Console.WriteLine($"{PeerProtocol.Fail} expected {want}, got {e.Errno}");
            return 1;
        }
    }
}

internal sealed class PeerFailure(string message) : Exception(message);

/// <summary>A sequence of packets; the sender and the receiver each run one with the same parameters.</summary>
internal interface IPacketSource
{
    int MaxLength { get; }
    /// <summary>Writes the next packet into <paramref name="buf"/> and returns its length.</summary>
    int Next(Span<byte> buf);
}

internal sealed class GeneratorSource(ulong seed, int maxLen) : IPacketSource
{
    private PacketGenerator _gen = new(seed, maxLen);
    public int MaxLength => maxLen;
    public int Next(Span<byte> buf) => _gen.Next(buf);
}

internal sealed class PatternSource(int len) : IPacketSource
{
    private int _i;
    public int MaxLength => len;
    public int Next(Span<byte> buf)
    {
        PeerProtocol.FillPattern(buf[..len], _i++);
        return len;
    }
}

internal sealed class StreamSource(uint id) : IPacketSource
{
    private ulong _seq;
    public int MaxLength => StreamPacket.MaxLength;
    public int Next(Span<byte> buf) => StreamPacket.Write(buf, id, _seq++);
}

/// <summary>
/// Sends and/or receives on one port from one thread: inject in batches and txsync; drain the RX rings,
/// reassembling NS_MOREFRAG chains and checking every packet; when neither side can move, Poll. A full TX ring
/// sets cur = tail first, so Poll sleeps until the receiver frees slots instead of returning "some room" at once.
/// </summary>
internal sealed class Transfer
{
    public static readonly TimeSpan IdleLimit = TimeSpan.FromSeconds(20);
    private const int Batch = 256;

    private readonly NetmapPort _port;
    private readonly IPacketSource? _tx;
    private readonly IPacketSource? _rx;
    private readonly long _txTotal, _rxTotal;
    private readonly byte[] _txBuf, _asm, _expect;
    private long _sent, _received, _fragments;
    private bool _daemonGone;
    private int _txLen, _asmLen;
    private ulong _txHash = PeerProtocol.HashSeed, _rxHash = PeerProtocol.HashSeed;

    private Transfer(NetmapPort port, long txTotal, IPacketSource? tx, long rxTotal, IPacketSource? rx)
    {
        _port = port; _tx = tx; _rx = rx; _txTotal = tx is null ? 0 : txTotal; _rxTotal = rx is null ? 0 : rxTotal;
        _txBuf = new byte[tx?.MaxLength ?? 0];
        _expect = new byte[rx?.MaxLength ?? 0];
        _asm = new byte[(rx?.MaxLength ?? 0) + 65536 * 2];
        if (_txTotal > 0) _txLen = _tx!.Next(_txBuf);
    }

    public static int Run(NetmapHost host, string spec, long txTotal, IPacketSource? tx, long rxTotal, IPacketSource? rx, bool failOnIdle)
    {
        using var port = NetmapPort.Open(spec, host);
        var t = new Transfer(port, txTotal, tx, rxTotal, rx);
        Console.WriteLine(PeerProtocol.Ready);
        t.Loop(failOnIdle);
        if (tx is not null) Console.WriteLine($"{PeerProtocol.Sent} {t._sent} {t._txHash:x16}");
        if (rx is not null) Console.WriteLine($"{PeerProtocol.Received} {t._received} {t._rxHash:x16} fragments {t._fragments}");
        Console.WriteLine($"{PeerProtocol.Cpu} {(long)Process.GetCurrentProcess().TotalProcessorTime.TotalMilliseconds}");
        return 0;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Loop(bool failOnIdle)
    {
        var port = _port;
        var idle = Stopwatch.StartNew();
        while (_sent < _txTotal || _received < _rxTotal)
        {
            bool progress = false, txBlocked = false;
            if (_sent < _txTotal)
            {
                int k = 0;
                while (k < Batch && _sent < _txTotal)
                {
                    var pkt = _txBuf.AsSpan(0, _txLen);
                    if (!port.Inject(pkt)) { txBlocked = true; break; }
                    _txHash = PeerProtocol.Hash(_txHash, pkt);
                    _sent++; k++;
                    if (_sent < _txTotal) _txLen = _tx!.Next(_txBuf);
                }
                if (k > 0) { progress = true; Check(port.TxSync(), "txsync"); }
            }
            if (_received < _rxTotal)
            {
                Check(port.RxSync(), "rxsync");
                if (Drain()) progress = true;
            }
            if (progress) { idle.Restart(); continue; }

            var events = PollEvents.None;
            if (_sent < _txTotal)
            {
                events |= PollEvents.Out;
                if (txBlocked) foreach (var r in port.TxRings) r.Cur = r.Tail; // sleep until the tail moves
            }
            if (_received < _rxTotal) events |= PollEvents.In;
            var got = port.Poll(events, 1000);
            if (got == PollEvents.HangUp) { PeerGone(port); got = PollEvents.None; }
            if ((got & PollEvents.Error) != 0)
            {
                // netmapd died: said once; a pipe's data path is the clients' own, so the transfer goes on.
                if (port.Failure is { } why && !_daemonGone) { _daemonGone = true; Console.WriteLine($"DAEMON-GONE {why}"); continue; }
                throw new PeerFailure("poll reported POLLERR (a ring was reinitialised)");
            }
            if (got == PollEvents.None && failOnIdle && idle.Elapsed > IdleLimit)
                throw new PeerFailure($"stalled for {IdleLimit.TotalSeconds} s: {State()}");
        }
        if (_txTotal > 0) Check(port.TxSync(), "txsync");
        if (_rxTotal > 0) Check(port.RxSync(), "rxsync"); // release what was read
    }

    /// <summary>The other end of the pipe is gone: say so (PEER-GONE reason), then sleep until a new one attaches (at
    /// most a second, so the caller's idle check still runs) instead of spinning on the hang-up.</summary>
    public static void PeerGone(NetmapPort port)
    {
        Console.WriteLine($"PEER-GONE {port.PeerFailure}");
        if (port.WaitForPeer(1000)) Console.WriteLine($"PEER-BACK {port.PeerArrivals}");
    }

    private string State()
    {
        var s = $"sent {_sent}/{_txTotal}, received {_received}/{_rxTotal}";
        foreach (var r in _port.TxRings) s += $"; tx ring {r.RingId} head {r.Head} cur {r.Cur} tail {r.Tail}";
        foreach (var r in _port.RxRings) s += $"; rx ring {r.RingId} head {r.Head} cur {r.Cur} tail {r.Tail}";
        return s;
    }

    private static void Check(bool ok, string what)
    {
        if (!ok) throw new PeerFailure($"{what} reinitialised a ring (bad head/cur or slots)");
    }

    /// <summary>Consumes every received slot (up to the last expected packet); true if any.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private bool Drain()
    {
        bool any = false;
        while (_received < _rxTotal && _port.NextPacket(out var frame, out var flags))
        {
            any = true;
            _fragments++;
            if (_asmLen + frame.Length > _asm.Length)
                throw new PeerFailure($"packet {_received}: more than {_asm.Length} bytes of fragments");
            frame.CopyTo(_asm.AsSpan(_asmLen));
            _asmLen += frame.Length;
            if ((flags & SlotFlags.MoreFragments) != 0) continue;
            var got = _asm.AsSpan(0, _asmLen);
            int len = _rx!.Next(_expect);
            var want = _expect.AsSpan(0, len);
            if (!got.SequenceEqual(want))
            {
                int diff = 0;
                while (diff < got.Length && diff < want.Length && got[diff] == want[diff]) diff++;
                throw new PeerFailure($"packet {_received}: {got.Length} bytes, expected {want.Length}; first difference at byte {diff}");
            }
            _rxHash = PeerProtocol.Hash(_rxHash, got);
            _received++;
            _asmLen = 0;
        }
        return any;
    }
}
