using System.Diagnostics;
using Netmap.Interop;
using Netmap.Api;

namespace Netmap;

/// <summary>
/// netmap's bridge as a library class: moves frames between two open ports in both directions, RX rings of one
/// port into TX rings of the other, up to a burst of slots per direction and pass.
/// <code>
/// using var eth = NetmapPort.Open("netmap:veth0");
/// using var sw = NetmapPort.Open("vale0:veth0");
/// var bridge = new PortBridge(eth, sw);
/// bridge.Run(() => !stopping, TimeSpan.FromMicroseconds(50));
/// </code>
/// When both ports live in the same memory region (same mem_id and mapping: pipes of one parent, VALE ports opened
/// with <c>@N</c> or <c>@share=</c>) buffers are swapped instead of copied (<see cref="ZeroCopy"/>). Only whole
/// packets move (NS_MOREFRAG chains stay together); see <see cref="BridgeDirection"/> for the slot rules.
/// </summary>
/// <remarks>
/// Threading: <see cref="Forward"/>, <see cref="Wait"/> and <see cref="Run"/> are called from one thread, which
/// must be the only user of the two ports' rings meanwhile. The counters may be read from any thread.
/// The bridge does not own the ports: dispose them after the loop has ended.
/// Passing the same <see cref="NetmapPort"/> object twice makes a one-way loopback (its RX rings into its TX rings,
/// counted in <see cref="AToB"/>); opening the same port twice gives two objects and a loop in both directions.
/// </remarks>
public sealed class PortBridge
{
    /// <summary>Largest burst accepted (bridge.c's limit).</summary>
    public const int MaxBurst = 8192;

    private readonly NetmapPort _a;
    private readonly NetmapPort _b;
    private readonly bool _same;
    private readonly BridgeDirection _ab;
    private readonly BridgeDirection? _ba;
    private readonly int _burst;

    /// <summary>
    /// Bridges <paramref name="a"/> and <paramref name="b"/>, moving at most <paramref name="burst"/> slots
    /// (1..<see cref="MaxBurst"/>) per direction and pass; <paramref name="allowZeroCopy"/> false forces copies.
    /// </summary>
    public PortBridge(NetmapPort a, NetmapPort b, int burst = 1024, bool allowZeroCopy = true)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        ArgumentOutOfRangeException.ThrowIfLessThan(burst, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(burst, MaxBurst);
        _a = a;
        _b = b;
        _same = ReferenceEquals(a, b);
        _burst = burst;
        ZeroCopy = allowZeroCopy && SameRegion(a, b);
        _ab = new BridgeDirection(a.RxRings, b.TxRings, ZeroCopy);
        _ba = _same ? null : new BridgeDirection(b.RxRings, a.TxRings, ZeroCopy);
    }

    /// <summary>True when buffers are swapped between the ports instead of copied.</summary>
    public bool ZeroCopy { get; }

    /// <summary>Slots moved per direction and pass, at most (a packet in progress is finished).</summary>
    public int Burst => _burst;

    /// <summary>Packets moved from a's RX rings to b's TX rings (a packet of several slots counts once).</summary>
    public long AToB => _ab.Packets;

    /// <summary>Packets moved from b's RX rings to a's TX rings.</summary>
    public long BToA => _ba?.Packets ?? 0;

    /// <summary>Slots forwarded damaged, both directions: truncated (copy into a smaller buffer), sent empty because
    /// a buffer index or length was invalid, or ending a packet cut because it could never complete.</summary>
    public long Dropped => _ab.Dropped + (_ba?.Dropped ?? 0);

    /// <summary>
    /// One pass: rxsync both ports, move what fits in both directions (a direction short of TX room txsyncs its
    /// destination and tries again), txsync both. Returns the slots moved (a packet of k slots counts k; 0 when
    /// idle), while <see cref="AToB"/>/<see cref="BToA"/> count packets. Allocates nothing, throws nothing.
    /// </summary>
    public int Forward()
    {
        _a.RxSync();
        if (!_same) _b.RxSync();
        int n = Move(_ab, _b);
        if (_ba is not null) n += Move(_ba, _a);
        _a.TxSync();
        if (!_same) _b.TxSync();
        return n;
    }

    /// <summary>
    /// One direction's share of a pass. TX tails are only refreshed by txsync, so a direction that found no room
    /// (the receiver may have freed some since the last pass) syncs its TX rings, which also sends what moved so
    /// far, and tries once more with the rest of the burst.
    /// </summary>
    private int Move(BridgeDirection d, NetmapPort destination)
    {
        int n = d.Move(_burst);
        if (d.Stalled && n < _burst)
        {
            destination.TxSync();
            n += d.Move(_burst - n);
        }
        return n;
    }

    /// <summary>
    /// Sleeps until there may be something to move: new frames on a port's RX rings, or, for a direction whose TX
    /// rings were full at the last <see cref="Forward"/>, room on them (then that direction's RX side is not
    /// watched). Returns true when woken (or already ready; nothing slept), false after
    /// <paramref name="timeoutMs"/> (-1 = forever). Allocates nothing, throws nothing.
    /// </summary>
    public bool Wait(int timeoutMs)
    {
        // A direction stalled on full TX rings waits for room on them, not for more frames it could not move.
        var ea = PollEvents.None;
        var eb = PollEvents.None;
        if (_ab.Stalled) eb |= PollEvents.Out;
        else if (_ab.CanMove) ea |= PollEvents.In;
        if (_ba is not null)
        {
            if (_ba.Stalled) ea |= PollEvents.Out;
            else if (_ba.CanMove) eb |= PollEvents.In;
        }
        if (_same) { ea |= eb; eb = PollEvents.None; }
        // A pipe end whose peer is gone reports HangUp for as long as it lasts: sleep anyway (the other direction may
        // still move, and the engine kicks the line when a new peer attaches).
        if (ea != PollEvents.None && (_a.PrepareWait(ea) & ~PollEvents.HangUp) != PollEvents.None) return true;
        if (eb != PollEvents.None && (_b.PrepareWait(eb) & ~PollEvents.HangUp) != PollEvents.None) return true;

        Span<int> fds = stackalloc int[2];
        Span<short> revents = stackalloc short[2];
        ReadOnlySpan<short> readable = [Libc.POLLIN, Libc.POLLIN];
        int n = 0;
        if (ea != PollEvents.None) fds[n++] = _a.FileDescriptor;
        if (eb != PollEvents.None) fds[n++] = _b.FileDescriptor;
        if (n == 0)
        {
            // Neither direction can ever move (a port without rings): just honour the timeout.
            Thread.Sleep(timeoutMs < 0 ? Timeout.Infinite : timeoutMs);
            return false;
        }
        if (FdPoll.Wait(fds[..n], readable[..n], revents, timeoutMs) <= 0) return false;
        n = 0;
        if (ea != PollEvents.None && revents[n++] != 0) _a.AcknowledgeWakeup();
        if (eb != PollEvents.None && revents[n] != 0) _b.AcknowledgeWakeup();
        return true;
    }

    /// <summary>
    /// Forwards until <paramref name="keepGoing"/> returns false (checked before every pass, and at least every
    /// 100 ms while idle). After <paramref name="spin"/> without anything to move it sleeps in <see cref="Wait"/>;
    /// while spinning it yields the CPU between passes.
    /// </summary>
    public void Run(Func<bool> keepGoing, TimeSpan spin)
    {
        ArgumentNullException.ThrowIfNull(keepGoing);
        long spinTicks = spin <= TimeSpan.Zero ? 0 : (long)(spin.TotalSeconds * Stopwatch.Frequency);
        long lastMove = Stopwatch.GetTimestamp();
        while (keepGoing())
        {
            if (Forward() > 0)
            {
                lastMove = Stopwatch.GetTimestamp();
                continue;
            }
            if (Stopwatch.GetTimestamp() - lastMove < spinTicks) Thread.Yield();
            else Wait(100);
        }
    }

    /// <summary>Same mem_id and the same mapping (a mem_id is only meaningful within one host).</summary>
    private static bool SameRegion(NetmapPort a, NetmapPort b)
    {
        if (a.MemId != b.MemId) return false;
        var ma = AnyRing(a);
        var mb = AnyRing(b);
        return ma is not null && mb is not null && ReferenceEquals(ma.Memory, mb.Memory);
    }

    private static NetmapRing? AnyRing(NetmapPort p)
        => p.RxRings.Count > 0 ? p.RxRings[0] : p.TxRings.Count > 0 ? p.TxRings[0] : null;
}
