using System.Runtime.InteropServices;

namespace Netmap.Interop;

/// <summary>struct xdp_statistics (getsockopt XDP_STATISTICS): the kernel's drop counters of one XSK.</summary>
[StructLayout(LayoutKind.Sequential, Size = 48)]
internal struct XdpStatistics
{
    /// <summary>Frames dropped for reasons other than the ones below (e.g. too long for a chunk).</summary>
    public ulong RxDropped;
    public ulong RxInvalidDescs;
    public ulong TxInvalidDescs;
    /// <summary>Frames dropped because the RX ring was full.</summary>
    public ulong RxRingFull;
    /// <summary>Frames dropped because the fill ring was empty (the consumer was late returning buffers).</summary>
    public ulong RxFillRingEmptyDescs;
    public ulong TxRingEmptyDescs;

    public override readonly string ToString() =>
        $"rx_dropped {RxDropped}, rx_invalid {RxInvalidDescs}, tx_invalid {TxInvalidDescs}, rx_ring_full {RxRingFull}, fill_empty {RxFillRingEmptyDescs}, tx_ring_empty {TxRingEmptyDescs}";
}
