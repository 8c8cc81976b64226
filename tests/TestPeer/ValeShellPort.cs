using System.Diagnostics;
using Netmap.Api;
using Netmap.Tests.Scenarios;

namespace Netmap.TestPeer;

/// <summary>
/// A port the vale-shell opened, with its send and receive state: the next sequence number of each tag it sends,
/// one contiguous reader for "recv"/"quiet" and the background job (stream, drain) running on it, if any.
/// One thread uses the port at a time: the shell's, or the job's while it runs.
/// </summary>
internal sealed class ValeShellPort(string name, NetmapPort port) : IDisposable
{
    private readonly Dictionary<uint, ulong> _nextSeq = new();
    private readonly byte[] _frame = new byte[70_000];

    public string Name { get; } = name;
    public NetmapPort Port { get; } = port;
    public ValeFrameReader Reader { get; } = new(contiguous: true);
    public ValeBackgroundJob? Job { get; set; }

    /// <summary>
    /// Sends <paramref name="count"/> frames of tag <paramref name="tag"/> (until <paramref name="stop"/> says so),
    /// syncing every 64; a full ring waits in Poll(Out) with cur = tail. Fails after <paramref name="stall"/> without
    /// room. Returns the frames sent.
    /// </summary>
    public long Send(long count, ulong dst, ulong src, uint tag, int minLen, int maxLen, Func<bool>? stop, TimeSpan stall)
    {
        var port = Port;
        ulong seq = _nextSeq.GetValueOrDefault(tag);
        long sent = 0;
        var idle = Stopwatch.StartNew();
        int len = ValeScenarioFrame.Write(_frame, dst, src, tag, seq, ValeScenarioFrame.LengthOf(seq, minLen, maxLen));
        while (sent < count && (stop is null || !stop()))
        {
            if (port.Inject(_frame.AsSpan(0, len)))
            {
                sent++;
                seq++;
                idle.Restart();
                if (sent % 64 == 0) Check(port.TxSync(), "txsync");
                len = ValeScenarioFrame.Write(_frame, dst, src, tag, seq, ValeScenarioFrame.LengthOf(seq, minLen, maxLen));
                continue;
            }
            Check(port.TxSync(), "txsync");
            if (idle.Elapsed > stall) throw new PeerFailure($"{Name}: no room in the TX ring for {stall.TotalSeconds} s after {sent} frames");
            foreach (var r in port.TxRings) r.Cur = r.Tail; // sleep until the tail moves
            if ((port.Poll(PollEvents.Out, 50) & PollEvents.Error) != 0) throw new PeerFailure($"{Name}: poll reported POLLERR");
        }
        Check(port.TxSync(), "txsync");
        _nextSeq[tag] = seq;
        return sent;
    }

    /// <summary>Waits until every TX ring is entirely free again: across processes that is when netmapd's worker
    /// has forwarded (or dropped) everything queued.</summary>
    public void WaitDrained(TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            Check(Port.TxSync(), "txsync");
            bool drained = true;
            foreach (var r in Port.TxRings) if (r.Space != r.NumSlots - 1) drained = false;
            if (drained) return;
            if (clock.Elapsed > timeout)
                throw new PeerFailure($"{Name}: TX ring not drained within {timeout.TotalSeconds} s: " +
                    string.Join("; ", Port.TxRings.Select(r => $"head {r.Head} tail {r.Tail} space {r.Space}")));
            foreach (var r in Port.TxRings) r.Cur = r.Tail;
            Port.Poll(PollEvents.Out, 20);
        }
    }

    /// <summary>Receives with <paramref name="reader"/> until it holds <paramref name="frames"/> frames, or fails
    /// after <paramref name="timeout"/>.</summary>
    public void Receive(ValeFrameReader reader, long frames, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (reader.Frames < frames)
        {
            Check(Port.RxSync(), "rxsync");
            if (reader.Drain(Port, frames - reader.Frames) > 0) continue;
            if (clock.Elapsed > timeout) throw new PeerFailure($"{Name}: {reader.Frames} of {frames} frames within {timeout.TotalSeconds} s; {reader.Summary()}");
            if ((Port.Poll(PollEvents.In, 50) & PollEvents.Error) != 0) throw new PeerFailure($"{Name}: poll reported POLLERR");
        }
        Check(Port.RxSync(), "rxsync"); // hand the slots back
    }

    public static void Check(bool ok, string what)
    {
        if (!ok) throw new PeerFailure($"{what} reinitialised a ring");
    }

    public void Dispose()
    {
        Job?.Stop(TimeSpan.FromSeconds(5));
        Port.Dispose();
    }
}
