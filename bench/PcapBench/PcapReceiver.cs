using Netmap.Tools;
using SharpPcap;
using SharpPcap.LibPcap;

namespace Netmap.Bench.Pcap;

/// <summary>
/// The two SharpPcap ways to receive, each counting frames and bytes (the frame is not parsed: the cheapest
/// use a capture can have). The device is opened promiscuous with a <see cref="PcapBenchOptions.BufferMiB"/>
/// ring and no filter.
/// </summary>
public sealed class PcapReceiver
{
    private long _packets, _bytes;
    private int _finished;

    public int Run(LibPcapLiveDevice dev, PcapBenchOptions o, StopSignal stop)
    {
        dev.Open(new DeviceConfiguration
        {
            Mode = DeviceModes.Promiscuous,
            ReadTimeout = 100,
            Snaplen = 128,
            BufferSize = o.BufferMiB << 20,
        });
        using (new RateReporter(() => Volatile.Read(ref _packets)))
        {
            if (o.Mode == PcapBenchMode.RxCallback)
            {
                dev.OnPacketArrival += OnPacketArrival;
                dev.StartCapture();
                Console.WriteLine("ready");
                while (!stop.IsSet) Thread.Sleep(50);
                dev.StopCapture();
            }
            else
            {
                // pcap_next_ex can stay blocked once traffic stops (TPACKET_V3 waits for a block): a watcher
                // reports and exits if the loop has not noticed the stop a second after it.
                var watcher = new Thread(() => { while (!stop.IsSet) Thread.Sleep(50); Thread.Sleep(1000); Finish(dev); Environment.Exit(0); })
                    { IsBackground = true, Name = "pcap-bench stop watcher" };
                watcher.Start();
                Console.WriteLine("ready");
                while (!stop.IsSet)
                {
                    if (dev.GetNextPacket(out PacketCapture e) == GetPacketStatus.PacketRead)
                        Count(e.Data.Length);
                }
            }
        }
        Finish(dev);
        dev.Close();
        return 0;
    }

    /// <summary>Prints the final line once (from the main loop or the stop watcher, whichever comes first).</summary>
    private void Finish(LibPcapLiveDevice dev)
    {
        if (Interlocked.Exchange(ref _finished, 1) != 0) return;
        ICaptureStatistics st = dev.Statistics;
        Console.WriteLine($"Received {Volatile.Read(ref _packets)} packets {_bytes} bytes (pcap_stats: received {st.ReceivedPackets} dropped {st.DroppedPackets} ifdropped {st.InterfaceDroppedPackets})");
        Console.Out.Flush();
    }

    private void OnPacketArrival(object sender, PacketCapture e) => Count(e.Data.Length);

    private void Count(int len)
    {
        Volatile.Write(ref _packets, _packets + 1);   // one writer (the capture thread or the main loop)
        _bytes += len;
    }
}
