using Netmap.Tools;
using SharpPcap;
using SharpPcap.LibPcap;

namespace Netmap.Bench.Pcap;

/// <summary>The SharpPcap way to send: one <c>SendPacket</c> (pcap_sendpacket, a send() on the packet socket) per frame.</summary>
public static class PcapTransmitter
{
    public static int Run(LibPcapLiveDevice dev, PcapBenchOptions o, StopSignal stop)
    {
        dev.Open(new DeviceConfiguration { Mode = DeviceModes.None, ReadTimeout = 100, Snaplen = 128 });
        Console.WriteLine("ready");
        long sent = 0, errors = 0;
        string? firstError = null;
        byte[] frame = o.Frame;
        using (new RateReporter(() => Volatile.Read(ref sent)))
        {
            while (!stop.IsSet && (o.Count == 0 || sent < o.Count))
            {
                try
                {
                    dev.SendPacket(frame);
                    Volatile.Write(ref sent, sent + 1);
                }
                catch (PcapException e)     // e.g. ENOBUFS when the kernel queue is full: count and go on
                {
                    errors++;
                    firstError ??= e.Message;
                }
            }
        }
        dev.Close();
        Console.WriteLine($"Sent {sent} packets {sent * frame.Length} bytes, {errors} send errors{(firstError is null ? "" : " (first: " + firstError + ")")}");
        return sent > 0 ? 0 : 1;
    }
}
