namespace Netmap.Tests.Nic.Xdp;

/// <summary>The AF_XDP syncs allocate nothing: thousands of TxSync/RxSync with frames in both directions.</summary>
public sealed class XdpAllocationTests
{
    [Fact]
    public void TxSyncAndRxSync_WithTraffic_AfterWarmUp_AllocateZeroBytes()
    {
        using var bed = new XdpBed(slots: 256);
        using var peer = bed.OpenPeer();
        using var stop = new CancellationTokenSource();
        // The peer sends from its own thread (its allocations are not this thread's).
        var sender = Task.Factory.StartNew(() =>
        {
            var f = XdpFrames.Make(1, 60);
            while (!stop.IsCancellationRequested)
            {
                for (int i = 0; i < 16; i++) peer.Send(f);
                Thread.Sleep(1);
            }
        }, TaskCreationOptions.LongRunning);

        byte[] frame = XdpFrames.Make(2, 60);
        Pump(bed, frame, 3000);
        ulong rxBefore = bed.Rx[0].State.Slots, txBefore = bed.Tx[0].State.Slots;
        long before = GC.GetAllocatedBytesForCurrentThread();
        Pump(bed, frame, 20_000);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        stop.Cancel();
        sender.Wait(5000);

        Assert.Equal(0, allocated);
        Assert.True(bed.Rx[0].State.Slots - rxBefore > 100, $"only {bed.Rx[0].State.Slots - rxBefore} frames received");
        Assert.True(bed.Tx[0].State.Slots - txBefore > 10_000, $"only {bed.Tx[0].State.Slots - txBefore} frames sent");
    }

    private static void Pump(XdpBed bed, byte[] frame, int iterations)
    {
        var rx = bed.Rx[0].Ring;
        for (int i = 0; i < iterations; i++)
        {
            for (int j = 0; j < 4; j++) bed.Put(frame);
            bed.TxSync();
            bed.RxSync();
            rx.Head = rx.Cur = rx.Tail;
            if ((i & 255) == 0) Thread.Sleep(0);
        }
    }
}
