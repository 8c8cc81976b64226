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

    /// <summary>NETMAP_MAX_FRAGS.</summary>
    public const int MaxFragments = 64;
    /// <summary>NS_PORT_SHIFT.</summary>
    public const int SlotPortShift = 8;
    /// <summary>NETMAP_REQ_MAXSIZE.</summary>
    public const int RequestMaxSize = 4096;
    /// <summary>NETMAP_REQ_IFNAMSIZ.</summary>
    public const int RequestIfNameSize = 64;
    /// <summary>netmap_if.ni_name.</summary>
    public const int InterfaceNameSize = 16;

    // Legacy nr_ringid bits.
    /// <summary>NETMAP_RING_MASK.</summary>
    public const ushort RingMask = 0x0fff;
    /// <summary>NETMAP_NO_TX_POLL.</summary>
    public const ushort NoTxPollBit = 0x1000;
    /// <summary>NETMAP_SW_RING.</summary>
    public const ushort SoftwareRingBit = 0x2000;
    /// <summary>NETMAP_HW_RING.</summary>
    public const ushort HardwareRingBit = 0x4000;
    /// <summary>NETMAP_DO_RX_POLL.</summary>
    public const ushort DoRxPollBit = 0x8000;
    /// <summary>NR_REG_MASK.</summary>
    public const uint RegisterModeMask = 0xf;

    // Polling modes and kloop mode bits.
    /// <summary>NETMAP_POLLING_MODE_SINGLE_CPU.</summary>
    public const uint PollingModeSingleCpu = 1;
    /// <summary>NETMAP_POLLING_MODE_MULTI_CPU.</summary>
    public const uint PollingModeMultiCpu = 2;
    /// <summary>NM_OPT_SYNC_KLOOP_DIRECT_TX.</summary>
    public const uint KloopDirectTx = 1;
    /// <summary>NM_OPT_SYNC_KLOOP_DIRECT_RX.</summary>
    public const uint KloopDirectRx = 2;

    // ioctl numbers (x86_64 Linux), kept for reference and for the legacy tools' messages.
    /// <summary>NIOCCTRL.</summary>
    public const uint NiocCtrl = 0xC0586997;
    /// <summary>NIOCTXSYNC.</summary>
    public const uint NiocTxSync = 0x6994;
    /// <summary>NIOCRXSYNC.</summary>
    public const uint NiocRxSync = 0x6995;
    /// <summary>NIOCGINFO (legacy API).</summary>
    public const uint NiocGInfo = 0xC03C6991;
    /// <summary>NIOCREGIF (legacy API).</summary>
    public const uint NiocRegIf = 0xC03C6992;

    // VALE.
    /// <summary>NM_BDG_NAME.</summary>
    public const string BridgeNamePrefix = "vale";
    /// <summary>NM_BRIDGES.</summary>
    public const int MaxBridges = 8;
    /// <summary>NM_BDG_MAXPORTS.</summary>
    public const int BridgeMaxPorts = 254;
    /// <summary>NM_BDG_BROADCAST.</summary>
    public const byte BridgeBroadcast = 254;
    /// <summary>NM_BDG_NOPORT.</summary>
    public const byte BridgeNoPort = 255;
    /// <summary>NM_BDG_HASH.</summary>
    public const int BridgeHashSize = 1024;
    /// <summary>NM_BDG_MAXRINGS.</summary>
    public const int BridgeMaxRings = 16;
    /// <summary>NM_BDG_MAXSLOTS.</summary>
    public const int BridgeMaxSlots = 4096;
    /// <summary>NM_BRIDGE_RINGSIZE.</summary>
    public const int BridgeRingSize = 1024;
    /// <summary>Slots per ring of a Linux interface unless @conf says otherwise (a NIC driver's usual ring size).</summary>
    public const uint InterfaceRingSize = 1024;
    /// <summary>Most slots per ring of a Linux interface (@conf:slots).</summary>
    public const uint MaxInterfaceSlots = 4096;
    /// <summary>Kernel queues (ring pairs) served per interface.</summary>
    public const int MaxInterfaceQueues = 12;
    /// <summary>NM_BDG_BATCH.</summary>
    public const int BridgeBatch = 1024;
    /// <summary>NM_BDG_BATCH_MAX.</summary>
    public const int BridgeBatchMax = 1088;
    /// <summary>NM_BDG_MFS_DEFAULT.</summary>
    public const int BridgeMaxFrameSize = 1514;

    // Pipes and monitors.
    /// <summary>NM_PIPE_MAXRINGS.</summary>
    public const int PipeMaxRings = 256;
    /// <summary>NM_PIPE_MAXSLOTS.</summary>
    public const int PipeMaxSlots = 4096;
    /// <summary>NM_MAXPIPES.</summary>
    public const int MaxPipes = 64;
    /// <summary>NM_MONITOR_MAXSLOTS.</summary>
    public const int MonitorMaxSlots = 4096;

    /// <summary>Memory allocator id of the global allocator.</summary>
    public const ushort GlobalMemId = 1;
    /// <summary>Buffers 0 and 1 are reserved in every allocator.</summary>
    public const uint ReservedBuffers = 2;
}
