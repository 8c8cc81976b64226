using Netmap.Tools;
using SharpPcap;
using SharpPcap.LibPcap;

namespace Netmap.Bench.Pcap;

/// <summary>Entry point: parses the options, finds the device by name, runs the mode. Exit 0 ok, 1 failure, 2 usage.</summary>
public static class PcapBenchMain
{
    public static int Run(string[] args)
    {
        var stop = StopSignal.ForProcess(); // first: before anything touches Console
        var o = PcapBenchOptions.Parse(args);
        if (o is null) return 2;
        LibPcapLiveDevice? dev = LibPcapLiveDeviceList.New().FirstOrDefault(d => d.Name == o.Device);
        if (dev is null)
        {
            Console.Error.WriteLine($"PcapBench: {o.Device}: no such capture device ({SharpPcap.Pcap.Version})");
            return 1;
        }
        using var deadline = new Timer(_ => stop.Set(), null, TimeSpan.FromSeconds(o.Seconds), Timeout.InfiniteTimeSpan);
        try
        {
            return o.Mode == PcapBenchMode.Tx ? PcapTransmitter.Run(dev, o, stop) : new PcapReceiver().Run(dev, o, stop);
        }
        catch (PcapException e)
        {
            Console.Error.WriteLine($"PcapBench: {o.Device}: {e.Message}");
            return 1;
        }
    }
}
