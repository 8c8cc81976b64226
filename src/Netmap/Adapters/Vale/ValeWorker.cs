using System.Diagnostics;
using Netmap.Interop;
using Netmap.Rings;

namespace Netmap.Adapters.Vale;

/// <summary>
/// A netmapd forwarding thread: runs the TX syncs of the VALE ports assigned to it, which live in other
/// processes. Busy: it loops over its ports' published heads with no system call per batch. Idle for
/// <see cref="Spin"/>: it arms <see cref="KringState.EngineNeedKick"/> on every TX ring, re-checks, and sleeps in
/// epoll on every port's <see cref="ValePort.EngineKick"/> line (and its own control line) until a client's txsync
/// signals one. Each port has its own line, so a client that floods or shuts down its line disturbs only its port.
/// </summary>
internal sealed class ValeWorker : IDisposable
{
    private readonly Thread _thread;
    private readonly ForwardScratch _scratch = new();
    private readonly Action<string>? _log;
    private readonly KickLine _control;
    private readonly EpollSet _wait;
    private ValePort[] _ports = [];
    private long _pass; // odd while a pass is running: lets the engine wait until a port is out of reach
    private volatile bool _stop;

    public ValeWorker(int id, TimeSpan spin, Action<string>? log)
    {
        Id = id;
        Spin = spin;
        _log = log;
        _control = KickLine.Create($"vale worker {id}");
        try { _wait = EpollSet.Create([_control.WaitFd], $"vale worker {id}"); }
        catch { _control.Dispose(); throw; }
        _thread = new Thread(Run) { IsBackground = true, Name = $"vale-worker-{id}" };
        _thread.Start();
    }

    public int Id { get; }
    public TimeSpan Spin { get; }
    public int PortCount => _ports.Length;

    /// <summary>Starts forwarding <paramref name="port"/> (engine lock held).</summary>
    public void Add(ValePort port)
    {
        _wait.Add(port.EngineKick.WaitFd);
        _ports = [.. _ports, port];
        port.Worker = this;
        _control.Signal();
    }

    /// <summary>Stops forwarding <paramref name="port"/>; returns once no pass can still be using it.</summary>
    public void Remove(ValePort port)
    {
        _ports = _ports.Where(p => p != port).ToArray();
        _wait.Remove(port.EngineKick.WaitFd);
        Quiesce();
    }

    /// <summary>Waits for the pass in progress (if any) to end.</summary>
    public void Quiesce()
    {
        long v = Volatile.Read(ref _pass);
        if ((v & 1) == 0 || Thread.CurrentThread == _thread) return;
        var spin = new SpinWait();
        while (Volatile.Read(ref _pass) == v) spin.SpinOnce();
    }

    private void Run()
    {
        long spinTicks = (long)(Spin.TotalSeconds * Stopwatch.Frequency);
        long lastWork = Stopwatch.GetTimestamp();
        Span<int> ready = stackalloc int[64];
        while (!_stop)
        {
            bool work;
            Interlocked.Increment(ref _pass);
            try { work = Pass(forward: true); }
            catch (Exception e) { work = false; _log?.Invoke($"vale worker {Id}: {e}"); }
            finally { Interlocked.Increment(ref _pass); }
            if (work) { lastWork = Stopwatch.GetTimestamp(); continue; }
            if (Stopwatch.GetTimestamp() - lastWork < spinTicks) { Thread.SpinWait(30); continue; }

            Interlocked.Increment(ref _pass);
            bool pending;
            try { Arm(); pending = Pass(forward: false); }
            finally { Interlocked.Increment(ref _pass); }
            int n = !pending && !_stop ? _wait.Wait(ready, 1000) : 0;
            for (int i = 0; i < n; i++) KickLine.Drain(ready[i]);
            _control.Drain();
            lastWork = Stopwatch.GetTimestamp();
        }
    }

    /// <summary>Forwards every TX ring with a new head (or, with <paramref name="forward"/> false, only says whether one has).</summary>
    private bool Pass(bool forward)
    {
        bool work = false;
        foreach (var port in _ports)
        {
            if (port.ForwardedByCaller) continue;
            for (int r = 0; r < port.TxRings.Length; r++)
            {
                if (Volatile.Read(ref port.TxUsers[r]) == 0) continue;
                ref var ks = ref port.TxState(r);
                uint n = port.TxRings[r].NumSlots;
                uint head = Volatile.Read(ref ks.RHead); // acquire: pairs with the client's release in SyncFrame.Tx
                if (head >= n) { ks.BadIndices++; continue; }
                uint hwcur = port.TxHwCur[r];
                if (head == hwcur)
                {
                    // hwcur and hwtail are the worker's: put back values somebody else wrote (a client that took a
                    // forged tail would otherwise wait for ever). Reads of lines the client only reads: no invalidation.
                    uint hwtail = RingMath.Prev(hwcur, n);
                    if (Volatile.Read(ref ks.HwTail) != hwtail || Volatile.Read(ref ks.HwCur) != hwcur)
                    {
                        ks.BadIndices++;
                        ks.HwCur = hwcur;
                        Volatile.Write(ref ks.HwTail, hwtail);
                    }
                    continue;
                }
                work = true;
                if (!forward) return true;
                ValeForwarder.Flush(port, r, head, _scratch);
                Interlocked.MemoryBarrier(); // hwtail published by Flush, then read the client's NeedKick
                if (Volatile.Read(ref ks.NeedKick) != 0 && Interlocked.Exchange(ref ks.NeedKick, 0) != 0)
                    KickLine.Signal(port.Kick.SignalFd);
            }
        }
        return work;
    }

    private void Arm()
    {
        foreach (var port in _ports)
            for (int r = 0; r < port.TxRings.Length; r++)
                Volatile.Write(ref port.TxState(r).EngineNeedKick, 1);
        Interlocked.MemoryBarrier();
    }

    public void Dispose()
    {
        _stop = true;
        _control.Signal();
        _thread.Join();
        _wait.Dispose();
        _control.Dispose();
    }
}
