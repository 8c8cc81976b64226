using System.Collections.Concurrent;
using System.Diagnostics;
using Netmap.Api;

namespace Netmap.Tests.Infrastructure;

/// <summary>
/// A well-behaved sender and receiver, each on its own thread: the sender injects frames and syncs, the receiver
/// polls and reads. Counts what moved, the syncs that reported an error (a reinitialised ring), and every
/// exception. Test helper, used with <see cref="HostileMapper"/>.
/// </summary>
internal sealed class TrafficUnderAttack
{
    private readonly NetmapPort _tx;
    private readonly NetmapPort _rx;
    private readonly byte[] _frame;
    private readonly Thread _sender, _receiver;
    private volatile bool _stop;
    private long _sent, _received, _errors;

    public TrafficUnderAttack(NetmapPort tx, NetmapPort rx, byte[] frame)
    {
        _tx = tx; _rx = rx; _frame = frame;
        _sender = new Thread(() => Guard(Send)) { IsBackground = true, Name = "well-behaved sender" };
        _receiver = new Thread(() => Guard(Receive)) { IsBackground = true, Name = "well-behaved receiver" };
        _receiver.Start();
        _sender.Start();
    }

    public long Sent => Volatile.Read(ref _sent);
    public long Received => Volatile.Read(ref _received);
    /// <summary>Syncs that returned false or polls that returned Error.</summary>
    public long SyncErrors => Volatile.Read(ref _errors);
    public ConcurrentQueue<Exception> Exceptions { get; } = new();

    private void Guard(Action body)
    {
        try { body(); }
        catch (Exception e) { Exceptions.Enqueue(e); }
    }

    private void Send()
    {
        while (!_stop)
        {
            int n = 0;
            while (n < 64 && _tx.Inject(_frame)) n++;
            Interlocked.Add(ref _sent, n);
            if (!_tx.TxSync()) Interlocked.Increment(ref _errors);
            if (n == 0 && (_tx.Poll(PollEvents.Out, 5) & PollEvents.Error) != 0) Interlocked.Increment(ref _errors);
        }
    }

    private void Receive()
    {
        while (!_stop)
        {
            if ((_rx.Poll(PollEvents.In, 5) & PollEvents.Error) != 0) Interlocked.Increment(ref _errors);
            long n = 0;
            while (_rx.NextPacket(out _, out _)) n++;
            Interlocked.Add(ref _received, n);
        }
    }

    /// <summary>Waits up to <paramref name="timeout"/> for <paramref name="more"/> frames beyond those received so far.</summary>
    public bool ReceivesMore(long more, TimeSpan timeout)
    {
        long target = Received + more;
        var clock = Stopwatch.StartNew();
        while (Received < target)
        {
            if (clock.Elapsed > timeout || !Exceptions.IsEmpty) return false;
            Thread.Sleep(5);
        }
        return true;
    }

    /// <summary>Stops both threads; false when one of them did not come back within <paramref name="bound"/> (a hang).</summary>
    public bool Stop(TimeSpan bound)
    {
        _stop = true;
        return _sender.Join(bound) & _receiver.Join(bound);
    }
}
