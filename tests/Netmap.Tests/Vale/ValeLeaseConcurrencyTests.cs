using System.Buffers.Binary;
using System.Diagnostics;
using Netmap.Api;
using Xunit.Abstractions;
using static Netmap.Tests.Vale.ValeFrames;

namespace Netmap.Tests.Vale;

/// <summary>
/// Several forwarders delivering into one RX ring at once (spec 5, pass 2: leases). Three sender threads on three
/// ports send sequence-numbered frames to one receiver that reads meanwhile: every frame it gets must be whole
/// (length and payload as sent), each sender's sequence strictly increasing (no reordering, no duplicates), and
/// frames received + frames the switch counted as dropped = frames sent. Embedded, the three senders forward in
/// their own threads (real concurrent leases); through netmapd, the worker forwards while clients publish.
/// </summary>
public class ValeLeaseConcurrencyTests(ITestOutputHelper output)
{
    private const int Senders = 3;
    private const int HeaderBytes = 14 + 1 + 4;

    private static int LengthOf(uint seq) => 60 + (int)(seq * 7 % 200);

    private static byte PayloadByte(int sender, uint seq, int i) => (byte)(seq * 31 + i * 3 + sender);

    private static void FillFrame(Span<byte> f, int sender, uint seq)
    {
        WriteMac(f, Mac(0xee));
        WriteMac(f[6..], Mac((byte)(0x10 + sender)));
        BinaryPrimitives.WriteUInt16BigEndian(f[12..], DataType);
        f[14] = (byte)sender;
        BinaryPrimitives.WriteUInt32LittleEndian(f[15..], seq);
        for (int i = HeaderBytes; i < f.Length; i++) f[i] = PayloadByte(sender, seq, i);
    }

    private void Run(bool daemon, int perSender)
    {
        using var h = new ValeTestHost(daemon);
        using var rx = NetmapPort.Open("vale0:r", h.Host);
        var tx = Enumerable.Range(0, Senders).Select(i => NetmapPort.Open($"vale0:s{i}", h.Host)).ToArray();
        try
        {
            // Learn the receiver's address (its announcement reaches the senders, which never read).
            Send(rx, Frame(Broadcast, Mac(0xee)));
            var failures = new List<string>();
            var done = new CountdownEvent(Senders);
            var threads = Enumerable.Range(0, Senders).Select(id => new Thread(() =>
            {
                try
                {
                    var port = tx[id];
                    var ring = port.TxRings[0];
                    var sw = Stopwatch.StartNew();
                    uint seq = 0;
                    while (seq < perSender)
                    {
                        if (sw.ElapsedMilliseconds > 20_000) { lock (failures) failures.Add($"sender {id} stuck at {seq}"); return; }
                        int batch = 0;
                        while (seq < perSender && batch < 64 && ring.Space > 0)
                        {
                            uint head = ring.Head;
                            ref var slot = ref ring.Slot(head);
                            int len = LengthOf(seq);
                            FillFrame(ring.Buffer(slot.BufferIndex)[..len], id, seq);
                            slot.Length = (ushort)len;
                            ring.Head = ring.Cur = ring.Next(head);
                            seq++;
                            batch++;
                        }
                        if (batch > 0) port.TxSync();
                        else port.Poll(PollEvents.Out, 100);
                        if ((seq & 1023) == 0) Thread.Yield(); // two cores: let the receiver in now and then
                    }
                    WaitTxDrained(port);
                }
                catch (Exception e) { lock (failures) failures.Add($"sender {id}: {e}"); }
                finally { done.Signal(); }
            }) { IsBackground = true, Name = $"vale-sender-{id}" }).ToArray();
            foreach (var t in threads) t.Start();

            var last = new long[Senders];
            Array.Fill(last, -1);
            long received = 0, bad = 0;
            string? firstBad = null;
            var watch = Stopwatch.StartNew();
            bool sendersDone = false;
            while (watch.ElapsedMilliseconds < 30_000)
            {
                rx.Poll(PollEvents.In, 10);
                while (rx.NextPacket(out var f, out _))
                {
                    if (f.Length < HeaderBytes || BinaryPrimitives.ReadUInt16BigEndian(f[12..]) != DataType) { bad++; firstBad ??= $"short/foreign frame of {f.Length} bytes"; continue; }
                    int id = f[14];
                    uint seq = BinaryPrimitives.ReadUInt32LittleEndian(f[15..]);
                    if (id >= Senders || seq >= perSender) { bad++; firstBad ??= $"sender {id} seq {seq}"; continue; }
                    if (seq <= last[id]) { bad++; firstBad ??= $"sender {id}: seq {seq} after {last[id]}"; }
                    last[id] = seq;
                    bool ok = f.Length == LengthOf(seq) && ReadMac(f[6..]) == Mac((byte)(0x10 + id));
                    for (int i = HeaderBytes; ok && i < f.Length; i++) ok = f[i] == PayloadByte(id, seq, i);
                    if (!ok) { bad++; firstBad ??= $"sender {id} seq {seq}: corrupt ({f.Length} bytes)"; }
                    received++;
                }
                if (!sendersDone) sendersDone = done.Wait(0);
                // Done when the senders are and every frame the switch delivered was read.
                if (sendersDone && (long)Stats(h, "vale0:r").RxPackets == received) break;
            }
            foreach (var t in threads) Assert.True(t.Join(5000));
            Assert.Empty(failures);
            Assert.True(bad == 0, $"{bad} bad frames, first: {firstBad}");
            var s = Stats(h, "vale0:r");
            Assert.Equal((long)s.RxPackets, received);
            Assert.Equal((long)Senders * perSender, received + (long)s.RxDrops);
            for (int i = 0; i < Senders; i++)
                Assert.Equal((ulong)perSender, Stats(h, $"vale0:s{i}").TxPackets);
            output.WriteLine($"received {received}, dropped {s.RxDrops}, in {watch.ElapsedMilliseconds} ms");
            Assert.True(received >= 1000, $"only {received} of {Senders * perSender} frames received");
        }
        finally
        {
            foreach (var p in tx) p.Dispose();
        }
    }

    [Fact]
    public void Embedded_ThreeSendersIntoOneRing_FramesWholeAndInOrder() => Run(daemon: false, perSender: 200_000);

    [Fact]
    public void Daemon_ThreeSendersIntoOneRing_FramesWholeAndInOrder() => Run(daemon: true, perSender: 200_000);
}
