namespace Netmap.Tools.ValeCtl;

/// <summary>What one vale-ctl run does (netmap's vale-ctl sends exactly one request per run; the last option
/// naming a command wins).</summary>
public enum ValeCtlCommand
{
    /// <summary>No command option was given (with other arguments present): print the usage, exit 1.</summary>
    None,
    /// <summary>No arguments at all: every port of every switch, "NAME bridge_idx B port_idx P".</summary>
    ListAll,
    /// <summary>-l valeX:Y: NETMAP_REQ_VALE_LIST for one port.</summary>
    List,
    /// <summary>-a / -h valeX:Y: NETMAP_REQ_VALE_ATTACH (ALL_NIC / NIC_SW).</summary>
    Attach,
    /// <summary>-d valeX:Y: NETMAP_REQ_VALE_DETACH.</summary>
    Detach,
    /// <summary>-n name: NETMAP_REQ_VALE_NEWIF.</summary>
    Create,
    /// <summary>-r name: NETMAP_REQ_VALE_DELIF.</summary>
    Remove,
    /// <summary>-g name: NETMAP_REQ_PORT_INFO_GET.</summary>
    Info,
    /// <summary>-p valeX:eth: NETMAP_REQ_VALE_POLLING_ENABLE.</summary>
    PollingEnable,
    /// <summary>-P valeX:eth: NETMAP_REQ_VALE_POLLING_DISABLE.</summary>
    PollingDisable,
    /// <summary>-S [valeX:Y] (our extension): the per-port counters of one port, or of every listed port.</summary>
    Stats,
}
