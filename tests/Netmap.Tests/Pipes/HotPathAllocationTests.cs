using Netmap.Api;

namespace Netmap.Tests.Pipes;

/// <summary>The data path allocates nothing: a million packets through Inject, TxSync, RxSync, NextPacket and a struct Dispatch.</summary>
public sealed class HotPathAllocationTests : IDisposable
{
    private readonly PipePair _p = new("alloc");

    public void Dispose() => _p.Dispose();

    private struct Counter : IPacketHandler
    {
        public long Packets;
        public long Bytes;
        public void Handle(ReadOnlySpan<byte> frame) { Packets++; Bytes += frame.Length; }
    }

    /// <summary>Sends <paramref name="packets"/> packets master to slave in bursts, reading half with NextPacket and half with Dispatch.</summary>
    private long Pump(int packets, ReadOnlySpan<byte> frame, ref Counter counter)
    {
        var m = _p.Master;
        var s = _p.Slave;
        long checksum = 0;
        int sent = 0, received = 0;
        bool useDispatch = false;
        while (received < packets)
        {
            for (int i = 0; i < 200 && sent < packets && m.Inject(frame); i++) sent++;
            m.TxSync();
            s.RxSync();
            if (useDispatch)
            {
                long before = counter.Packets;
                s.Dispatch(0, ref counter);
                received += (int)(counter.Packets - before);
            }
            else
            {
                while (s.NextPacket(out var f, out _)) { checksum += f[0]; received++; }
            }
            useDispatch = !useDispatch;
            s.RxSync();
        }
        return checksum;
    }

    [Fact]
    public void AMillionPackets_AfterWarmUp_AllocateZeroBytes()
    {
        ReadOnlySpan<byte> frame = stackalloc byte[60] { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 60 };
        var counter = new Counter();
        for (int warm = 0; warm < 3; warm++) Pump(100_000, frame, ref counter);

        counter = new Counter();
        long before = GC.GetAllocatedBytesForCurrentThread();
        long checksum = Pump(1_000_000, frame, ref counter);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(0, allocated);
        Assert.True(counter.Packets > 300_000, $"Dispatch saw {counter.Packets} packets");
        Assert.Equal(60 * counter.Packets, counter.Bytes);
        Assert.Equal(1_000_000 - counter.Packets, checksum); // every NextPacket frame starts with byte 1
    }

    [Fact]
    public void PollWithZeroTimeout_AfterWarmUp_AllocatesZeroBytes()
    {
        for (int i = 0; i < 1000; i++) { _p.Slave.Poll(PollEvents.In, 0); _p.Master.Poll(PollEvents.Out, 0); }
        ReadOnlySpan<byte> frame = stackalloc byte[8];
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 100_000; i++)
        {
            _p.Master.Inject(frame);
            _p.Master.Poll(PollEvents.Out, 0);
            if (_p.Slave.Poll(PollEvents.In, 0) != PollEvents.None)
                while (_p.Slave.NextPacket(out _, out _)) { }
        }
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
