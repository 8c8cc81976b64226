using System.Diagnostics;
using Netmap.Interop;
using Xunit.Abstractions;

namespace Netmap.Tests.Nic.Packet;

/// <summary>The AF_PACKET txsync/rxsync allocate nothing; and what an rxsync costs per frame.</summary>
public sealed class PacketHotPathTests(ITestOutputHelper output)
{
    /// <summary>Receives <paramref name="count"/> frames with rxsync only, releasing them all at once: no allocation.</summary>
    private static int Drain(PacketBed bed, int count, long deadline)
    {
        var ring = bed.Rx.Ring;
        var q = bed.Queue!;
        int got = 0;
        while (got < count && Environment.TickCount64 < deadline)
        {
            q.RxSync(bed.Rx, PacketBed.Token);
            uint space = ring.Space;
            if (space == 0) { FdPoll.WaitReadable(q.WaitFd, 10); continue; }
            got += (int)space;
            ring.Head = ring.Cur = ring.Tail;
        }
        return got;
    }

    [Fact]
    public void RxSync_AllocatesNothing()
    {
        using var bed = new PacketBed(slots: 256);
        var frame = PacketFrames.Make(0, 60);
        long Round(int count)
        {
            var sender = new Thread(() => { for (int i = 0; i < count; i++) bed.Peer.Send(frame); });
            sender.Start(); // starting a thread allocates: before the measurement
            long before = GC.GetAllocatedBytesForCurrentThread();
            int got = Drain(bed, count, Environment.TickCount64 + 10_000);
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            sender.Join();
            Assert.Equal(count, got);
            return allocated;
        }
        Round(2000); Round(2000); // warm up: every path of the loop compiled and tiered

        long allocated = Round(20_000);

        Assert.Equal(0u, bed.KernelDrops());
        Assert.Equal(0, allocated);
    }

    [Fact]
    public void TxSync_AllocatesNothing()
    {
        using var bed = new PacketBed(slots: 256);
        var ring = bed.Tx.Ring;
        var q = bed.Queue!;
        ReadOnlySpan<byte> frame = PacketFrames.Make(0, 60);

        long Pump(int count, ReadOnlySpan<byte> f)
        {
            long deadline = Environment.TickCount64 + 10_000;
            int sent = 0;
            while (sent < count && Environment.TickCount64 < deadline)
            {
                while (sent < count && ring.Space > 0)
                {
                    ref var s = ref ring.Slot(ring.Head);
                    f.CopyTo(ring.Buffer(s.BufferIndex));
                    s.Length = (ushort)f.Length;
                    ring.Head = ring.Cur = ring.Next(ring.Head);
                    sent++;
                }
                q.TxSync(bed.Tx, PacketBed.Token);
                if (ring.Space == 0) Thread.Yield();
            }
            return sent;
        }

        Assert.Equal(1000, Pump(1000, frame));
        long before = GC.GetAllocatedBytesForCurrentThread();
        long sent = Pump(20_000, frame);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(20_000, sent);
        Assert.Equal(0, allocated);
    }

    [Fact]
    public void RxSync_CostPerFrame_IsReported()
    {
        // 20000 frames of 60 bytes wait in the kernel ring (1024 slots: about 100 blocks of 64 KiB, 2.9 MB used);
        // then only rxsync and the release run, timed.
        using var bed = new PacketBed(slots: 1024);
        var frame = PacketFrames.Make(0, 60);
        for (int i = 0; i < 2000; i++) bed.Peer.Send(frame);
        Assert.Equal(2000, Drain(bed, 2000, Environment.TickCount64 + 5000)); // warm up
        bed.KernelDrops();

        const int count = 20_000;
        for (int i = 0; i < count; i++) bed.Peer.Send(frame);
        Thread.Sleep(20); // every block retired (1 ms timer)
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        long t0 = Stopwatch.GetTimestamp();
        int got = Drain(bed, count, Environment.TickCount64 + 5000);
        double ns = Stopwatch.GetElapsedTime(t0).TotalNanoseconds;

        Assert.Equal(0u, bed.KernelDrops());
        Assert.Equal(count, got);
        output.WriteLine($"rxsync: {ns / count:F1} ns per 60-byte frame ({count} frames, {ns / 1e6:F2} ms, ring of 1024 slots)");
    }
}
