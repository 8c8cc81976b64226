using System.Runtime.CompilerServices;
using Netmap.Abi;
using Netmap.Tools;

namespace Netmap.Bench.Vale;

/// <summary>
/// One sender thread on one VALE port's TX ring 0, pkt-gen style: every buffer holds the frame once (the switch
/// copies it, the sender never does), and each round writes length and flags into up to <c>batch</c> slots, moves
/// head and cur, and calls TxSync. Embedded, that TxSync forwards the batch in this thread (netmap's kernel does it
/// in the sender's system call) and frees the whole ring; through netmapd it only publishes, and the sender waits
/// (busy, or Poll) for the worker to free slots.
/// </summary>
internal sealed class Sender(NetmapPort port, byte[] frame, uint batch, bool busy, int cpu, Phase phase, CountdownEvent ready)
{
    private long _packets;

    public ThreadSample Start { get; private set; }
    public ThreadSample End { get; private set; }
    public string? Error { get; private set; }
    public int Cpu => cpu;
    /// <summary>Packets handed to TxSync so far (for the per-second rate lines).</summary>
    public long Packets => Volatile.Read(ref _packets);

    public Thread StartThread(string name)
    {
        var t = new Thread(Run) { IsBackground = true, Name = name };
        t.Start();
        return t;
    }

    private void Run()
    {
        try
        {
            if (cpu >= 0 && !CpuAffinity.PinCurrentThread(cpu)) Error = $"cannot pin to CPU {cpu}";
            Prefill();
        }
        catch (Exception e) { Error = e.Message; }
        finally { ready.Signal(); }
        if (Error is not null) return;
        try { Loop(); }
        catch (Exception e) { Error = e.ToString(); }
    }

    private void Prefill()
    {
        var ring = port.TxRings[0];
        for (uint j = 0; j < ring.NumSlots; j++)
        {
            ref var slot = ref ring.Slot(j);
            if (!ring.IsValidBuffer(slot.BufferIndex)) throw new InvalidOperationException($"TX slot {j} has no buffer");
            frame.CopyTo(ring.Buffer(slot.BufferIndex));
            slot.Length = (ushort)frame.Length;
            slot.Flags = SlotFlags.None;
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Loop()
    {
        var p = port;
        var ring = p.TxRings[0];
        var clock = phase;
        ushort len = (ushort)frame.Length;
        uint max = batch;
        bool spin = busy;
        long sent = 0;
        int seen = Phase.Warmup;
        while (true)
        {
            int now = clock.Value;
            if (now != seen)
            {
                if (seen == Phase.Warmup) Start = ThreadSample.Take(sent);
                if (now == Phase.Stop) { End = ThreadSample.Take(sent); return; }
                seen = now;
            }
            uint space = ring.Space;
            if (space == 0)
            {
                if (spin) p.TxSync(); else p.Poll(PollEvents.Out, 100);
                continue;
            }
            uint k = space < max ? space : max;
            uint head = ring.Head;
            for (uint i = 0; i < k; i++)
            {
                ref var slot = ref ring.Slot(head);
                slot.Length = len;
                slot.Flags = SlotFlags.None;
                head = ring.Next(head);
            }
            ring.Head = ring.Cur = head;
            p.TxSync();
            sent += k;
            Volatile.Write(ref _packets, sent);
        }
    }
}
