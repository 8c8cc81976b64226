using System.Diagnostics;
using Netmap.Abi;
using Netmap.Adapters.Nic.Tap;
using Netmap.Interop;
using Netmap.Memory;
using Netmap.Rings;

namespace Netmap.Tests.Nic.Tap;

/// <summary>
/// What NicAdapter does for <c>netmap:tapN</c>, by hand: a private region with one TX and one RX ring, the
/// <see cref="TapAttachment"/> opened inside a test namespace, the krings and the <see cref="TapQueue"/> over the
/// TAP descriptor. Send/Receive drive the rings as a netmap user would.
/// </summary>
internal sealed class TapRig : IDisposable
{
    public const uint Token = 1;

    private readonly RingFactory.CreatedRing _tx, _rx;

    private TapRig(MemoryRegion region, RingFactory.CreatedRing tx, RingFactory.CreatedRing rx, TapAttachment att)
    {
        Region = region; _tx = tx; _rx = rx; Attachment = att;
        var layout = RegionLayout.Read(region.Mapping, region.MemSize, "test");
        Tx = Kring.Open(region.Mapping, layout, tx.Offset, "test");
        Rx = Kring.Open(region.Mapping, layout, rx.Offset, "test");
        Queue = TapQueue.Open(att.QueueFd(0), Tx, Rx, region.Mapping, layout, "test");
        Tx.Backend = Rx.Backend = Queue;
    }

    public MemoryRegion Region { get; }
    public TapAttachment Attachment { get; }
    public Kring Tx { get; }
    public Kring Rx { get; }
    public TapQueue Queue { get; }

    /// <summary>Opens TAP <paramref name="ifName"/> from inside namespace <paramref name="ns"/>.</summary>
    public static TapRig Open(string ns, string ifName, uint slots = 64)
    {
        var region = MemoryRegion.Create(9, AllocatorParameters.ForPrivatePort(1, slots, 1, slots, 0, 0), isGlobal: false);
        try
        {
            var tx = RingFactory.CreateWithBuffers(region, region.Ledger.CreateOwner(ifName), slots, isTx: true, ringId: 0, KringKind.TapTx, ifName);
            var rx = RingFactory.CreateWithBuffers(region, region.Ledger.CreateOwner(ifName), slots, isTx: false, ringId: 0, KringKind.TapRx, ifName);
            var att = NamespaceThread.Run(ns, () => TapAttachment.Open(ifName, region, [tx], [rx]));
            try { return new TapRig(region, tx, rx, att); }
            catch { att.Dispose(); throw; }
        }
        catch { region.Dispose(); throw; }
    }

    /// <summary>Puts one frame in the TX ring (split into NS_MOREFRAG fragments at <paramref name="fragment"/> bytes) and runs txsync.</summary>
    public void Send(byte[] frame, int fragment = int.MaxValue)
    {
        var ring = Tx.Ring;
        uint h = ring.Head;
        for (int at = 0; at < frame.Length;)
        {
            int len = Math.Min(Math.Min(fragment, (int)ring.BufferSize), frame.Length - at);
            ref var s = ref ring.Slot(h);
            frame.AsSpan(at, len).CopyTo(ring.Buffer(s.BufferIndex));
            s.Length = (ushort)len;
            at += len;
            s.Flags = at < frame.Length ? SlotFlags.MoreFragments : 0;
            h = ring.Next(h);
        }
        ring.Head = ring.Cur = h;
        Assert.True(Queue.TxSync(Tx, Token));
    }

    /// <summary>Runs rxsync until a frame satisfying <paramref name="match"/> arrives (other frames are released and
    /// skipped) or <paramref name="timeoutMs"/> passes (null). Fragments = slots the frame used.</summary>
    public (byte[] Frame, int Fragments)? Receive(Func<byte[], bool> match, int timeoutMs = 3000)
    {
        var sw = Stopwatch.StartNew();
        var ring = Rx.Ring;
        var frame = new List<byte>();
        int fragments = 0;
        while (sw.ElapsedMilliseconds < timeoutMs)
        {
            Assert.True(Queue.RxSync(Rx, Token));
            for (uint i = ring.Head; i != ring.Tail; i = ring.Next(i))
            {
                ref var s = ref ring.Slot(i);
                frame.AddRange(ring.Payload(s).ToArray());
                fragments++;
                if ((s.Flags & SlotFlags.MoreFragments) != 0) continue;
                var f = frame.ToArray();
                int used = fragments;
                frame.Clear(); fragments = 0;
                if (match(f))
                {
                    ring.Head = ring.Cur = ring.Next(i);
                    return (f, used);
                }
            }
            Assert.Equal(0, fragments); // rxsync publishes whole chains only
            ring.Head = ring.Cur = ring.Tail;
            FdPoll.WaitReadable(Queue.WaitFd, 50);
        }
        return null;
    }

    public void Dispose()
    {
        Queue.Dispose();
        Attachment.Dispose();
        RingFactory.Destroy(Region, _tx);
        RingFactory.Destroy(Region, _rx);
        Region.Dispose();
    }
}
