using Netmap.Api;
using Xunit.Abstractions;
using static Netmap.Tests.Vale.ValeFrames;

namespace Netmap.Tests.Vale;

/// <summary>
/// The VALE data path allocates nothing once warm: a million frames A → B through the switch. Embedded, the
/// caller's TxSync forwards, so the calling thread's allocation counter covers the whole path (client syncs,
/// lookup, leases, copy). Through an in-process netmapd the worker thread forwards, so the process-wide counter
/// is used, in a collection that runs alone.
/// </summary>
[Collection(ValeAllocationCollection.Name)]
public sealed class ValeAllocationTests(ITestOutputHelper output)
{
    private struct Counter : IPacketHandler
    {
        public long Packets, Bytes;
        public void Handle(ReadOnlySpan<byte> frame) { Packets++; Bytes += frame.Length; }
    }

    /// <summary>Embedded: batches of 200 injected, TxSync (forwards), RxSync and read (NextPacket or Dispatch).</summary>
    private static long PumpEmbedded(NetmapPort a, NetmapPort b, int frames, ReadOnlySpan<byte> frame, ref Counter counter)
    {
        long received = 0, checksum = 0;
        int sent = 0;
        bool dispatch = false;
        while (received < frames)
        {
            for (int i = 0; i < 200 && sent < frames && a.Inject(frame); i++) sent++;
            a.TxSync();
            b.RxSync();
            if (dispatch) { long before = counter.Packets; b.Dispatch(0, ref counter); received += counter.Packets - before; }
            else while (b.NextPacket(out var f, out _)) { checksum += f[20]; received++; }
            dispatch = !dispatch;
        }
        b.RxSync();
        return checksum;
    }

    /// <summary>netmapd: a batch of up to 256 is published, then read back before the next one (so nothing is
    /// dropped and the worker stays busy). Returns false on a stall.</summary>
    private static bool PumpDaemon(NetmapPort a, NetmapPort b, int frames, ReadOnlySpan<byte> frame, out long checksum)
    {
        long received = 0;
        int sent = 0;
        checksum = 0;
        while (received < frames)
        {
            int batch = 0;
            for (; batch < 256 && sent < frames && a.Inject(frame); batch++) sent++;
            a.TxSync();
            long want = received + batch;
            int idle = 0;
            while (received < want)
            {
                if (b.Poll(PollEvents.In, 100) == PollEvents.None && ++idle > 50) return false; // 5 s without a frame
                while (b.NextPacket(out var f, out _)) { checksum += f[20]; received++; }
            }
            if (batch == 0) a.Poll(PollEvents.Out, 100); // the TX ring was full: wait for the worker to free it
        }
        b.RxSync();
        return true;
    }

    private static byte[] TestFrame()
    {
        var f = Frame(Mac(0xb), Mac(0xa), 60);
        f[20] = 1;
        return f;
    }

    [Fact]
    public void Embedded_AMillionFrames_AfterWarmUp_AllocateZeroBytes()
    {
        using var h = new ValeTestHost(false);
        using var a = NetmapPort.Open("vale0:a", h.Host);
        using var b = NetmapPort.Open("vale0:b", h.Host);
        Send(b, Frame(Broadcast, Mac(0xb))); // learned: unicast path
        ReadOnlySpan<byte> frame = TestFrame();
        var counter = new Counter();
        for (int warm = 0; warm < 3; warm++) PumpEmbedded(a, b, 100_000, frame, ref counter);

        counter = new Counter();
        long before = GC.GetAllocatedBytesForCurrentThread();
        long checksum = PumpEmbedded(a, b, 1_000_000, frame, ref counter);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(0, allocated);
        Assert.Equal(1_000_000 - counter.Packets, checksum); // every NextPacket frame has byte 20 = 1
        Assert.True(counter.Packets > 100_000, $"Dispatch saw {counter.Packets} frames");
        Assert.Equal(60 * counter.Packets, counter.Bytes);
        Assert.Equal(0UL, Stats(h, "vale0:b").RxDrops);
    }

    [Fact]
    public void Daemon_AMillionFramesThroughTheWorker_AfterWarmUp_AllocateNothingPerFrame()
    {
        using var h = new ValeTestHost(true);
        using var a = NetmapPort.Open("vale0:a", h.Host);
        using var b = NetmapPort.Open("vale0:b", h.Host);
        Send(b, Frame(Broadcast, Mac(0xb)));
        var frame = TestFrame();
        for (int warm = 0; warm < 3; warm++) Assert.True(PumpDaemon(a, b, 100_000, frame, out _));

        // Five samples of 200,000 frames. The process-wide counter also sees whatever else runs in the process
        // meanwhile (the test runner's message threads, the thread pool starting a thread: seen as occasional bursts
        // from a few hundred bytes to ~800 KB); an allocation on the data path would come with every sample:
        // 200,000 frames are about 800 batches, so even one object per batch (>= 24 B) would be ~19 KB in each
        // sample. So the quietest sample must be (almost) zero: 1 KB is allowed for stray bytes of the runner.
        var samples = new long[5];
        long thread0 = GC.GetAllocatedBytesForCurrentThread();
        long checksum = 0;
        for (int i = 0; i < samples.Length; i++)
        {
            long total0 = GC.GetTotalAllocatedBytes(precise: true);
            Assert.True(PumpDaemon(a, b, 200_000, frame, out long sum), "forwarding stalled");
            samples[i] = GC.GetTotalAllocatedBytes(precise: true) - total0;
            checksum += sum;
        }
        long thread = GC.GetAllocatedBytesForCurrentThread() - thread0;

        output.WriteLine($"process-wide bytes per 200,000 frames: {string.Join(", ", samples)}");
        Assert.Equal(1_000_000, checksum);
        Assert.Equal(0, thread); // the client side: Inject, TxSync (publish, kick), Poll, NextPacket
        Assert.True(samples.Min() <= 1024, $"bytes allocated in the process per 200,000 frames: {string.Join(", ", samples)}");
        Assert.Equal(0UL, Stats(h, "vale0:b").RxDrops);
    }
}
