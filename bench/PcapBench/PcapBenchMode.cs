namespace Netmap.Bench.Pcap;

/// <summary>What one PcapBench run does on its interface.</summary>
public enum PcapBenchMode
{
    /// <summary>Send the frame in a loop with <c>SendPacket</c> (one <c>pcap_sendpacket</c> = one send() each).</summary>
    Tx,
    /// <summary>Receive with <c>OnPacketArrival</c> + <c>StartCapture</c> (libpcap's capture thread, pcap_dispatch batches).</summary>
    RxCallback,
    /// <summary>Receive with a <c>GetNextPacket</c> loop on the main thread (pcap_next_ex, one frame per call).</summary>
    RxNext,
}
