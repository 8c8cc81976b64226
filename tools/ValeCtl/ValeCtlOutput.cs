using Netmap.Abi;

namespace Netmap.Tools.ValeCtl;

/// <summary>
/// The lines vale-ctl prints, in netmap's vale-ctl format (field labels and their padding included, even the
/// "rx_rings    " of -g and the "rx_ring:    " of -n -v that lack or misspell a colon in the original: scripts
/// parse these lines). Each function returns lines without their newline.
/// </summary>
public static class ValeCtlOutput
{
    /// <summary>One line of the whole list (no arguments): "NAME bridge_idx B port_idx P".</summary>
    public static string ListLine(ValePortListing port) => $"{port.Name} bridge_idx {port.BridgeIndex} port_idx {port.PortIndex}";

    /// <summary>Our extension of the whole list: a persistent port attached to no switch (netmap lists only switch ports).</summary>
    public static string UnattachedLine(ValePortListing port) => $"{port.Name} (persistent, not attached)";

    /// <summary>-l valeX:Y.</summary>
    public static string[] ListIndices(ushort bridgeIndex, uint portIndex) =>
    [
        $"bridge_idx: {bridgeIndex}",
        $"port_idx:   {portIndex}",
    ];

    /// <summary>-g NAME: the PORT_INFO_GET answer.</summary>
    public static string[] PortInfo(in NmReqPortInfoGet info) =>
    [
        $"memsize:    {info.MemSize}",
        $"tx_slots:   {info.TxSlots}",
        $"rx_slots:   {info.RxSlots}",
        $"tx_rings:   {info.TxRings}",
        $"rx_rings    {info.RxRings}",
        $"mem_id:     {info.MemId}",
    ];

    /// <summary>-n NAME -v: the VALE_NEWIF body as written back.</summary>
    public static string[] NewInterface(in NmReqValeNewInterface config) =>
    [
        $"tx_slots:   {config.TxSlots}",
        $"rx_slots:   {config.RxSlots}",
        $"tx_rings:   {config.TxRings}",
        $"rx_ring:    {config.RxRings}",
        $"mem_id:     {config.MemId}",
    ];

    /// <summary>-a/-h/-d NAME -v: the port index the switch answered.</summary>
    public static string PortIndex(uint portIndex) => $"port_index: {portIndex}";

    /// <summary>-S (our extension): "NAME rx_packets N rx_bytes N rx_drops N tx_packets N tx_bytes N tx_drops N".</summary>
    public static string Stats(string name, in NmReqValePortStats s) =>
        $"{name} rx_packets {s.RxPackets} rx_bytes {s.RxBytes} rx_drops {s.RxDrops} " +
        $"tx_packets {s.TxPackets} tx_bytes {s.TxBytes} tx_drops {s.TxDrops}";

    /// <summary>A refused request: "failed to ACTION NAME: STRERROR" ("failed to list all: ..." without a name).</summary>
    public static string Failure(string action, string? name, Errno errno)
        => name is null ? $"failed to {action}: {ErrnoText.Of(errno)}" : $"failed to {action} {name}: {ErrnoText.Of(errno)}";
}
