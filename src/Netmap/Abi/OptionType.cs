namespace Netmap.Abi;

/// <summary>nmreq_option.nro_reqtype (NETMAP_REQ_OPT_*).</summary>
internal enum OptionType : uint
{
    ExtMem = 1,
    SyncKloopEventFds = 2,
    Csb = 3,
    SyncKloopMode = 4,
    Offsets = 5,
    /// <summary>NETMAP_REQ_OPT_MAX: first type that is not indexed (stays EOPNOTSUPP).</summary>
    Max = 6,
    /// <summary>Our extension (outside netmap's range): the backend of a Linux interface, body
    /// <see cref="NmReqOptInterfaceBackend"/>. From <c>@conf:backend=</c>.</summary>
    InterfaceBackend = 0x4E00,
    /// <summary>Our extension: the mode (owner/group/other bits, like a file's) of what the request creates, body
    /// <see cref="NmReqOptAccess"/>. From <c>@conf:mode=</c> and vale-ctl -M.</summary>
    Access = 0x4E01,
}
