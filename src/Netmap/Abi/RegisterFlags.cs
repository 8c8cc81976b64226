using Netmap.Abi;
namespace Netmap;

/// <summary>nmreq_register.nr_flags (NR_*).</summary>
[Flags]
public enum RegisterFlags : ulong
{
    /// <summary>No flag.</summary>
    None = 0,
    /// <summary>NR_MONITOR_TX: the monitor sees the port's TX traffic (/t).</summary>
    MonitorTx = 0x100,
    /// <summary>NR_MONITOR_RX: the monitor sees the port's RX traffic (/r).</summary>
    MonitorRx = 0x200,
    /// <summary>NR_ZCOPY_MON: zero-copy monitor (/z): buffers are swapped.</summary>
    ZeroCopyMonitor = 0x400,
    /// <summary>NR_EXCLUSIVE: the selected rings may have no other user (EBUSY otherwise).</summary>
    Exclusive = 0x800,
    /// <summary>NR_RX_RINGS_ONLY: bind only RX rings (/R).</summary>
    RxRingsOnly = 0x2000,
    /// <summary>NR_TX_RINGS_ONLY: bind only TX rings (/T).</summary>
    TxRingsOnly = 0x4000,
    /// <summary>NR_ACCEPT_VNET_HDR: the client handles a virtio-net header.</summary>
    AcceptVnetHeader = 0x8000,
    /// <summary>NR_DO_RX_POLL: accepted and ignored, as in netmap.</summary>
    DoRxPoll = 0x10000,
    /// <summary>NR_NO_TX_POLL: poll() does not txsync the TX rings.</summary>
    NoTxPoll = 0x20000,
}
