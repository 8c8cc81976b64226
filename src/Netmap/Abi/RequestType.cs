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
    /// <summary>Our extension: the session's registration again, body <see cref="NmReqRegister"/> as REGISTER wrote it
    /// back, and (like REGISTER) the region memfd and wakeup descriptors by SCM_RIGHTS. How a process that got a
    /// registered descriptor it did not register (SCM_RIGHTS, exec) adopts it. ENXIO when not registered.</summary>
    SessionRegistrationGet = 0x4E02,
    /// <summary>Our extension: the session's syncs and poll() round run by the engine, body <see cref="NmReqSessionSync"/>:
    /// for a client that cannot run them itself (a C program's fork child, whose in-process runtime is gone).</summary>
    SessionSync = 0x4E03,
    /// <summary>Our extension: legacy NIOCREGIF, body the 60-byte <see cref="NmReqLegacy"/>, converted as netmap's
    /// legacy layer does (<c>Netmap.Engine.LegacyRequest</c>); a registration replies with REGISTER's descriptors.</summary>
    LegacyRegIf = 0x4E04,
    /// <summary>Our extension: legacy NIOCGINFO, body <see cref="NmReqLegacy"/>.</summary>
    LegacyGetInfo = 0x4E05,
}
