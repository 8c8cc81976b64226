using System.Buffers.Binary;
using Netmap.Abi;
using Netmap.Api;
using Netmap.Hosting;
using Netmap.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Netmap.Tests.Scenarios;

// Test objective: extra buffers work across processes with zero copy. The sender (this process) opens with
// NetmapPortOptions { ExtraBuffers = 16 }, walks the list from ni_bufs_head, fills each extra buffer with a
// pattern, swaps them into 16 TX slots (NS_BUF_CHANGED), keeps the displaced ring buffers as its new extra list,
// and sends; a child receiving on the other end checks all 16 packets byte for byte. The swapped-in buffers are
// what travels (the receiver's slots point at them, and they come back to the sender's slots), txsync clears
// NS_BUF_CHANGED, and nothing leaks when the sender closes with its new list in ni_bufs_head. The other way
// round, a receiver swapping its extra buffers into RX slots keeps the packets it took out of the ring intact
// while the sender in another process goes round the ring several times, writing into the swapped-in buffers.
[Collection(ScenarioCollection.Name)]
public sealed class ExtraBuffersScenarioTests(DaemonFixture daemon, ITestOutputHelper log) : IClassFixture<DaemonFixture>
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(20);
    private const int Extra = 16;

    [Fact]
    public void ExtraBuffers_SwappedIntoTxSlots_ArriveByteExactInAnotherProcess()
    {
        var host = NetmapHost.Daemon(daemon.SocketPath);
        // Anchor: keeps parent "eb" and its region alive, so the free-buffer count can be compared at the end.
        using var anchor = NetmapPort.Open("netmap:eb{0", host);
        uint freeAtStart = Scenario.FreeBuffers(host, "eb");

        using (var sender = NetmapPort.Open("netmap:eb}1", host, new NetmapPortOptions { ExtraBuffers = Extra }))
        {
            Assert.Equal((uint)Extra, sender.ExtraBuffers);
            var ring = sender.TxRings[0];
            int len = (int)ring.BufferSize;

            // The list: ni_bufs_head, then each buffer's first u32 names the next; 0 ends it.
            var extras = new List<uint>();
            for (uint idx = sender.Interface.BufsHead; idx != 0; idx = BinaryPrimitives.ReadUInt32LittleEndian(sender.Buffer(idx)))
            {
                Assert.True(ring.IsValidBuffer(idx), $"extra buffer index {idx} is not a valid buffer");
                Assert.True(extras.Count < Extra, "the extra-buffer list is longer than the count obtained");
                extras.Add(idx);
            }
            Assert.Equal(Extra, extras.Count);
            Assert.Equal(Extra, extras.Distinct().Count());

            using var receiver = PeerProcess.Start(log, "receiver", daemon.SocketPath, ["recv-pattern", "netmap:eb{1", $"{Extra}", $"{len}"]);
            receiver.WaitForLine(PeerProtocol.Ready, Limit);

            var displaced = new uint[Extra];
            uint head = ring.Head;
            var slotsUsed = new uint[Extra];
            for (int k = 0; k < Extra; k++)
            {
                PeerProtocol.FillPattern(sender.Buffer(extras[k]).Slice(0, len), k);
                ref var slot = ref ring.Slot(head);
                Assert.DoesNotContain(slot.BufferIndex, extras);
                displaced[k] = slot.BufferIndex;
                slot.BufferIndex = extras[k];
                slot.Length = (ushort)len;
                slot.Flags = SlotFlags.BufferChanged;
                slotsUsed[k] = head;
                head = ring.Next(head);
            }
            // The displaced ring buffers are now this port's extra buffers: chain them from ni_bufs_head, so that the
            // close frees them (and not the buffers now travelling in the pipe).
            for (int k = 0; k < Extra; k++)
                BinaryPrimitives.WriteUInt32LittleEndian(sender.Buffer(displaced[k]), k + 1 < Extra ? displaced[k + 1] : 0);
            sender.Interface.BufsHead = displaced[0];

            ring.Head = ring.Cur = head;
            Assert.True(sender.TxSync());
            foreach (var s in slotsUsed) Assert.Equal(SlotFlags.None, ring.Slot(s).Flags & SlotFlags.BufferChanged);

            receiver.ExpectSuccess(Limit);
            var received = receiver.WaitForLine(PeerProtocol.Received, Limit);
            Assert.StartsWith($"{PeerProtocol.Received} {Extra} ", received);

            // Zero copy: the receiver released the very buffers; they are back in the sender's slots.
            Assert.True(sender.TxSync());
            Assert.Equal(ring.NumSlots - 1, ring.Space);
            for (int k = 0; k < Extra; k++) Assert.Equal(extras[k], ring.Slot(slotsUsed[k]).BufferIndex);
            log.WriteLine($"16 extra buffers ({string.Join(",", extras)}) of {len} bytes sent and verified by pid {receiver.Pid}");
        }
        // Both pipe ends closed: the pipe's buffers and the sender's (new) extra list are all free again.
        Scenario.AssertFreeBuffers(host, "eb", freeAtStart, log);
    }
    [Fact]
    public void Receiver_SwapsItsExtraBuffersIntoRxSlots_AndKeepsThePacketsWhileTheSenderGoesOn()
    {
        const int total = 5000; // several times round the 1024-slot ring
        const int len = 200;
        var host = NetmapHost.Daemon(daemon.SocketPath);
        using var anchor = NetmapPort.Open("netmap:sw{0", host);
        uint freeAtStart = Scenario.FreeBuffers(host, "sw");

        using (var rx = NetmapPort.Open("netmap:sw}1", host, new NetmapPortOptions { ExtraBuffers = Extra }))
        {
            Assert.Equal((uint)Extra, rx.ExtraBuffers);
            var extras = new List<uint>();
            for (uint idx = rx.Interface.BufsHead; idx != 0 && extras.Count <= Extra; idx = BinaryPrimitives.ReadUInt32LittleEndian(rx.Buffer(idx)))
                extras.Add(idx);
            Assert.Equal(Extra, extras.Count);

            var ring = rx.RxRings[0];
            var kept = new uint[Extra];
            var expect = new byte[len];
            using var sender = PeerProcess.Start(log, "sender", daemon.SocketPath, ["send-pattern", "netmap:sw{1", $"{total}", $"{len}"]);
            var idle = System.Diagnostics.Stopwatch.StartNew();
            int got = 0;
            while (got < total)
            {
                Assert.True(rx.RxSync());
                while (ring.Head != ring.Tail && got < total)
                {
                    ref var slot = ref ring.Slot(ring.Head);
                    PeerProtocol.FillPattern(expect, got);
                    Assert.True(ring.Payload(slot).SequenceEqual(expect), $"packet {got} differs");
                    if (got < Extra)
                    {
                        // Zero-copy receive: keep the packet's buffer, give the ring one of ours instead.
                        kept[got] = slot.BufferIndex;
                        slot.BufferIndex = extras[got];
                        slot.Flags |= SlotFlags.BufferChanged;
                    }
                    ring.Head = ring.Cur = ring.Next(ring.Head);
                    got++;
                    idle.Restart();
                }
                if (got < total && rx.Poll(PollEvents.In, 1000) == PollEvents.None)
                    Assert.True(idle.Elapsed < Limit, $"only {got} of {total} packets arrived:\n{sender.Output}");
            }
            Assert.True(rx.RxSync());
            sender.ExpectSuccess(Limit);
            Assert.StartsWith($"{PeerProtocol.Sent} {total} ", sender.WaitForLine(PeerProtocol.Sent, Limit));

            // The kept buffers left the ring: the sender went round it several times (writing into our extra
            // buffers, which it got back through rxsync) and never touched them.
            for (int k = 0; k < Extra; k++)
            {
                PeerProtocol.FillPattern(expect, k);
                Assert.True(rx.Buffer(kept[k]).Slice(0, len).SequenceEqual(expect), $"kept buffer {kept[k]} (packet {k}) was overwritten");
            }
            // They are this port's extra buffers now: chain them from ni_bufs_head so the close frees them.
            for (int k = 0; k < Extra; k++)
                BinaryPrimitives.WriteUInt32LittleEndian(rx.Buffer(kept[k]), k + 1 < Extra ? kept[k + 1] : 0);
            rx.Interface.BufsHead = kept[0];
        }
        Scenario.AssertFreeBuffers(host, "sw", freeAtStart, log);
    }
}
