namespace Netmap.Abi;

/// <summary>nmreq_header.nr_reqtype (NETMAP_REQ_*).</summary>
internal enum RequestType : ushort
{
    Register = 1,
    PortInfoGet = 2,
    ValeAttach = 3,
    ValeDetach = 4,
    ValeList = 5,
    PortHeaderSet = 6,
    PortHeaderGet = 7,
    ValeNewInterface = 8,
    ValeDeleteInterface = 9,
    ValePollingEnable = 10,
    ValePollingDisable = 11,
    PoolsInfoGet = 12,
    SyncKloopStart = 13,
    SyncKloopStop = 14,
    CsbEnable = 15,
    /// <summary>Our extension (not in netmap): per-port VALE counters, body <see cref="NmReqValePortStats"/>.
    /// Numbered far above netmap's range so a future netmap request can never collide.</summary>
    ValePortStatsGet = 0x4E01,
}
