using Netmap.Engine;
using Netmap.Hosting;
using Netmap.Tests.Nic.Packet;

namespace Netmap.Tests.Nic;

/// <summary>
/// Test objective: the async waits work for Linux interfaces, whose wakeups come from kernel sockets besides the kick
/// line: a pending WaitAsync (through the wait loop) completes when frames arrive on the wire, ReceiveAsync hands
/// them all over, and Dispose ends a pending wait; with AF_PACKET and with AF_XDP (generic mode on a veth).
/// </summary>
public sealed class InterfaceWaitAsyncTests
{
    [Theory(Timeout = 60_000)]
    [InlineData("afpacket")]
    [InlineData("xdp")]
    public async Task WaitAsyncAndReceiveAsync_OnAnInterface_WakeOnArrival_AndDisposeEndsAPendingWait(string backend)
    {
        using var bed = new PacketBed(slots: 256, attach: false);
        using var engine = new NetmapEngine();
        var host = NetmapHost.Embedded(engine);
        var port = NamespaceThread.Run(bed.NsNetmap, () => NetmapPort.Open($"netmap:{bed.Dev}@conf:backend={backend}", host));
        try
        {
            var sent = Enumerable.Range(0, 60).Select(i => PacketFrames.Make(i, PacketFrames.LengthOf(i))).ToList();
            var sender = Task.Run(async () =>
            {
                await Task.Delay(300); // the receiver is asleep by then
                foreach (var f in sent) bed.Peer.Send(f);
            });
            var got = new List<byte[]>();
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            await foreach (var batch in port.ReceiveAsync(cts.Token))
            {
                foreach (var frame in batch) if (PacketFrames.IsTestFrame(frame)) got.Add(frame.ToArray());
                if (got.Count == sent.Count) break;
            }
            await sender;
            Assert.Equal(sent.Count, got.Count);
            for (int i = 0; i < sent.Count; i++) Assert.Equal(sent[i], got[i]);
            Assert.True(port.PendingWaits >= 1, "the receiver never slept in the wait loop");

            // Nothing more comes (IPv6 is off on both veth ends): a wait is pending on the kernel socket; Dispose ends it.
            while (port.NextPacket(out _, out _)) { }
            var pending = port.WaitAsync(PollEvents.In).AsTask();
            await Task.Delay(100);
            Assert.False(pending.IsCompleted, "a frame nobody sent woke the wait");
            port.Dispose();
            await Assert.ThrowsAsync<ObjectDisposedException>(() => pending.WaitAsync(TimeSpan.FromSeconds(5)));
        }
        finally { port.Dispose(); }
    }
}
