namespace Netmap.Abi;

/// <summary>Numeric constants of netmap's ABI (spec section 2), named as netmap names them.</summary>
public static class NetmapConstants
{
    /// <summary>NETMAP_API: the version this implementation speaks.</summary>
    public const ushort Api = 14;
    /// <summary>NETMAP_MIN_API / NETMAP_MAX_API: accepted nr_version range.</summary>
    public const ushort MinApi = 14, MaxApi = 15;
    /// <summary>NM_CACHE_ALIGN.</summary>
    public const int CacheAlign = 128;

    public const int MaxFragments = 64;          // NETMAP_MAX_FRAGS
    public const int SlotPortShift = 8;          // NS_PORT_SHIFT
    public const int RequestMaxSize = 4096;      // NETMAP_REQ_MAXSIZE
    public const int RequestIfNameSize = 64;     // NETMAP_REQ_IFNAMSIZ
    public const int InterfaceNameSize = 16;     // netmap_if.ni_name

    // Legacy nr_ringid bits.
    public const ushort RingMask = 0x0fff;       // NETMAP_RING_MASK
    public const ushort NoTxPollBit = 0x1000;    // NETMAP_NO_TX_POLL
    public const ushort SoftwareRingBit = 0x2000;// NETMAP_SW_RING
    public const ushort HardwareRingBit = 0x4000;// NETMAP_HW_RING
    public const ushort DoRxPollBit = 0x8000;    // NETMAP_DO_RX_POLL
    public const uint RegisterModeMask = 0xf;    // NR_REG_MASK

    // Polling modes and kloop mode bits.
    public const uint PollingModeSingleCpu = 1, PollingModeMultiCpu = 2;
    public const uint KloopDirectTx = 1, KloopDirectRx = 2;

    // ioctl numbers (x86_64 Linux), kept for reference and for the legacy tools' messages.
    public const uint NiocCtrl = 0xC0586997;
    public const uint NiocTxSync = 0x6994;
    public const uint NiocRxSync = 0x6995;
    public const uint NiocGInfo = 0xC03C6991;
    public const uint NiocRegIf = 0xC03C6992;

    // VALE.
    public const string BridgeNamePrefix = "vale"; // NM_BDG_NAME
    public const int MaxBridges = 8;               // NM_BRIDGES
    public const int BridgeMaxPorts = 254;         // NM_BDG_MAXPORTS
    public const byte BridgeBroadcast = 254;       // NM_BDG_BROADCAST
    public const byte BridgeNoPort = 255;          // NM_BDG_NOPORT
    public const int BridgeHashSize = 1024;        // NM_BDG_HASH
    public const int BridgeMaxRings = 16;          // NM_BDG_MAXRINGS
    public const int BridgeMaxSlots = 4096;        // NM_BDG_MAXSLOTS
    public const int BridgeRingSize = 1024;        // NM_BRIDGE_RINGSIZE
    /// <summary>Slots per ring of a Linux interface unless @conf says otherwise (a NIC driver's usual ring size).</summary>
    public const uint InterfaceRingSize = 1024;
    public const uint MaxInterfaceSlots = 4096;
    /// <summary>Kernel queues (ring pairs) served per interface.</summary>
    public const int MaxInterfaceQueues = 12;
    public const int BridgeBatch = 1024;           // NM_BDG_BATCH
    public const int BridgeBatchMax = 1088;        // NM_BDG_BATCH_MAX
    public const int BridgeMaxFrameSize = 1514;    // NM_BDG_MFS_DEFAULT

    // Pipes and monitors.
    public const int PipeMaxRings = 256;           // NM_PIPE_MAXRINGS
    public const int PipeMaxSlots = 4096;          // NM_PIPE_MAXSLOTS
    public const int MaxPipes = 64;                // NM_MAXPIPES
    public const int MonitorMaxSlots = 4096;       // NM_MONITOR_MAXSLOTS

    /// <summary>Memory allocator id of the global allocator.</summary>
    public const ushort GlobalMemId = 1;
    /// <summary>Buffers 0 and 1 are reserved in every allocator.</summary>
    public const uint ReservedBuffers = 2;
}
