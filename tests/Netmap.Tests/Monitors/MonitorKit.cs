using System.Diagnostics;
using Netmap.Abi;
using Netmap.Api;
using Netmap.Tests.Vale;

namespace Netmap.Tests.Monitors;

/// <summary>Helpers of the monitor tests: distinct frames, reading a monitor without or with waiting, drop counts.</summary>
internal static class MonitorKit
{
    /// <summary>A broadcast Ethernet frame (VALE delivers it to every other port) tagged <paramref name="tag"/>.</summary>
    public static byte[] Frame(int tag, int length = 60) => ValeFrames.Frame(ValeFrames.Broadcast, ValeFrames.Mac(0x0a), length, tag: (byte)tag);

    /// <summary>Writes <paramref name="frame"/> at head of TX ring <paramref name="ring"/> and advances head and cur (no sync).</summary>
    public static uint Put(NetmapPort port, byte[] frame, int ring = 0)
    {
        var r = port.TxRings[ring];
        Assert.True(r.Space > 0, $"{port.Spec.Spec}: tx ring {ring} is full");
        uint head = r.Head;
        ref var slot = ref r.Slot(head);
        frame.CopyTo(r.Buffer(slot.BufferIndex));
        slot.Length = (ushort)frame.Length;
        slot.Flags &= ~SlotFlags.MoreFragments;
        r.Head = r.Cur = r.Next(head);
        return head;
    }

    /// <summary>Syncs the RX rings once and takes every slot they expose (no waiting).</summary>
    public static List<Received> Drain(NetmapPort port)
    {
        port.RxSync();
        return Take(port);
    }

    /// <summary>Takes (consumes) every slot the RX rings expose now, without syncing.</summary>
    public static List<Received> Take(NetmapPort port)
    {
        var got = new List<Received>();
        for (int ri = 0; ri < port.RxRings.Count; ri++)
        {
            var r = port.RxRings[ri];
            while (r.Head != r.Tail)
            {
                ref var s = ref r.Slot(r.Head);
                got.Add(new Received(r.Payload(s).ToArray(), s.Flags, ri));
                r.Head = r.Cur = r.Next(r.Head);
            }
        }
        return got;
    }

    /// <summary>Polls until <paramref name="expected"/> slots were taken or <paramref name="timeoutMs"/> passed.</summary>
    public static List<Received> Receive(NetmapPort port, int expected, int timeoutMs = 3000)
    {
        var got = new List<Received>();
        var clock = Stopwatch.StartNew();
        while (true)
        {
            got.AddRange(Drain(port));
            if (got.Count >= expected || clock.ElapsedMilliseconds > timeoutMs) return got;
            port.Poll(PollEvents.In, 20);
        }
    }

    /// <summary>Slots the monitor's rings dropped because they were full.</summary>
    public static ulong Drops(NetmapPort monitor) => monitor.RxKrings.Aggregate(0UL, (s, k) => s + Volatile.Read(ref k.State.MonitorDrops));

    /// <summary>True when the monitor stays empty for <paramref name="ms"/> milliseconds (polling it).</summary>
    public static bool StaysEmpty(NetmapPort monitor, int ms = 30)
    {
        var clock = Stopwatch.StartNew();
        while (clock.ElapsedMilliseconds < ms)
        {
            monitor.RxSync();
            foreach (var r in monitor.RxRings) if (r.Head != r.Tail) return false;
            Thread.Sleep(1);
        }
        return true;
    }
}
