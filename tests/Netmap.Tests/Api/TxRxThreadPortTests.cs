using System.Buffers.Binary;

namespace Netmap.Tests.Api;

/// <summary>
/// README's threading rule: one thread per port; a TX thread and an RX thread open the same port twice, with /T
/// (TX rings only) and /R (RX rings only). Here the master end of a pipe is opened that way by two threads while a
/// third echoes everything back from the slave end: every frame comes back, in order.
/// </summary>
public class TxRxThreadPortTests
{
    [Fact]
    public void TxAndRxThreads_OnOnePipeEnd_OpenedWithSlashTAndSlashR()
    {
        const int count = 20_000;
        using var engine = new NetmapEngine();
        var host = NetmapHost.Embedded(engine);
        using var txOnly = NetmapPort.Open("netmap:trt{1/T", host);
        using var rxOnly = NetmapPort.Open("netmap:trt{1/R", host);
        using var echo = NetmapPort.Open("netmap:trt}1", host);
        Assert.Empty(txOnly.RxRings);
        Assert.Empty(rxOnly.TxRings);
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(30));

        var sender = Task.Run(() =>
        {
            var frame = new byte[64];
            for (int i = 0; i < count && !cancel.IsCancellationRequested;)
            {
                BinaryPrimitives.WriteInt32LittleEndian(frame.AsSpan(14), i);
                if (txOnly.Inject(frame)) { i++; continue; }
                txOnly.Poll(PollEvents.Out, 100);
            }
            txOnly.TxSync();
        });
        var echoer = Task.Run(() =>
        {
            int echoed = 0;
            while (echoed < count && !cancel.IsCancellationRequested)
            {
                echo.Poll(PollEvents.In, 100);
                while (echo.NextPacket(out var data, out _))
                {
                    while (!echo.Inject(data) && !cancel.IsCancellationRequested) echo.Poll(PollEvents.Out, 100);
                    echoed++;
                }
                echo.TxSync();
            }
            echo.RxSync();
        });
        var received = new List<int>(count);
        var receiver = Task.Run(() =>
        {
            while (received.Count < count && !cancel.IsCancellationRequested)
            {
                rxOnly.Poll(PollEvents.In, 100);
                while (rxOnly.NextPacket(out var data, out _)) received.Add(BinaryPrimitives.ReadInt32LittleEndian(data[14..]));
            }
            rxOnly.RxSync();
        });
        Assert.True(Task.WaitAll([sender, echoer, receiver], TimeSpan.FromSeconds(40)), $"received {received.Count} of {count}");
        Assert.Equal(Enumerable.Range(0, count), received);
    }
}
