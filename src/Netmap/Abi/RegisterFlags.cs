using Netmap.Abi;
namespace Netmap;

/// <summary>nmreq_register.nr_flags (NR_*).</summary>
[Flags]
public enum RegisterFlags : ulong
{
    None = 0,
    MonitorTx = 0x100,
    MonitorRx = 0x200,
    ZeroCopyMonitor = 0x400,
    /// <summary>NR_EXCLUSIVE: the selected rings may have no other user (EBUSY otherwise).</summary>
    Exclusive = 0x800,
    RxRingsOnly = 0x2000,
    TxRingsOnly = 0x4000,
    AcceptVnetHeader = 0x8000,
    /// <summary>NR_DO_RX_POLL: accepted and ignored, as in netmap.</summary>
    DoRxPoll = 0x10000,
    /// <summary>NR_NO_TX_POLL: poll() does not txsync the TX rings.</summary>
    NoTxPoll = 0x20000,
}
