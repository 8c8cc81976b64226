using Netmap.Api;
namespace Netmap;

/// <summary>
/// The values of a port spec's <c>@conf:</c> option, exactly as given (null = key not given).
/// Generic keys (<see cref="Rings"/>, <see cref="HostRings"/>, <see cref="Slots"/>) apply to both
/// directions; a specific key (<see cref="TxRings"/> ...) overrides its generic key whatever their order
/// in the spec. Read the resolved per-direction values from the <c>Effective*</c> properties.
/// The values only size a port that this open creates (e.g. an ephemeral VALE port or a pipe);
/// an existing port keeps its geometry. Immutable and thread-safe.
/// </summary>
/// <remarks>
/// Ring counts go into u16 fields of nmreq_register, so the parser accepts 0..65535 for them;
/// slot counts go into u32 fields. Zero means "the port's default", as in netmap.
/// </remarks>
public sealed record PortConfig
{
    /// <summary>A configuration with no key given (what a spec without <c>@conf</c> yields).</summary>
    public static PortConfig Empty { get; } = new();

    /// <summary>Key <c>rings</c>: hardware TX and RX ring count.</summary>
    public uint? Rings { get; init; }

    /// <summary>Key <c>host_rings</c> (or <c>host-rings</c>): host TX and RX ring count.</summary>
    public uint? HostRings { get; init; }

    /// <summary>Key <c>slots</c>: slots per TX and RX ring.</summary>
    public uint? Slots { get; init; }

    /// <summary>Key <c>tx_rings</c>: hardware TX ring count; overrides <see cref="Rings"/>.</summary>
    public uint? TxRings { get; init; }

    /// <summary>Key <c>rx_rings</c>: hardware RX ring count; overrides <see cref="Rings"/>.</summary>
    public uint? RxRings { get; init; }

    /// <summary>Key <c>host_tx_rings</c>: host TX ring count; overrides <see cref="HostRings"/>.</summary>
    public uint? HostTxRings { get; init; }

    /// <summary>Key <c>host_rx_rings</c>: host RX ring count; overrides <see cref="HostRings"/>.</summary>
    public uint? HostRxRings { get; init; }

    /// <summary>Key <c>tx_slots</c>: slots per TX ring; overrides <see cref="Slots"/>.</summary>
    public uint? TxSlots { get; init; }

    /// <summary>Key <c>rx_slots</c>: slots per RX ring; overrides <see cref="Slots"/>.</summary>
    public uint? RxSlots { get; init; }

    /// <summary>Key <c>backend</c> (our extension, Linux interfaces only): <c>auto</c> (AF_XDP, else AF_PACKET),
    /// <c>xdp</c> or <c>afpacket</c>. Sent as option NETMAP_REQ_OPT_IF_BACKEND.</summary>
    public NicBackendKind? Backend { get; init; }

    /// <summary>Key <c>mode</c> (our extension, octal like a file's mode, e.g. <c>0660</c>): who besides the creator may
    /// see (r) and use (w) the switch, port, pipe and region this open creates; what exists already keeps its own.
    /// Sent as option NETMAP_REQ_OPT_ACCESS; without it netmapd's --default-mode (0600: the creator and root) applies.</summary>
    public uint? Mode { get; init; }

    /// <summary>nr_tx_rings to request: <see cref="TxRings"/>, else <see cref="Rings"/>, else null.</summary>
    public uint? EffectiveTxRings => TxRings ?? Rings;

    /// <summary>nr_rx_rings to request: <see cref="RxRings"/>, else <see cref="Rings"/>, else null.</summary>
    public uint? EffectiveRxRings => RxRings ?? Rings;

    /// <summary>nr_host_tx_rings to request: <see cref="HostTxRings"/>, else <see cref="HostRings"/>, else null.</summary>
    public uint? EffectiveHostTxRings => HostTxRings ?? HostRings;

    /// <summary>nr_host_rx_rings to request: <see cref="HostRxRings"/>, else <see cref="HostRings"/>, else null.</summary>
    public uint? EffectiveHostRxRings => HostRxRings ?? HostRings;

    /// <summary>nr_tx_slots to request: <see cref="TxSlots"/>, else <see cref="Slots"/>, else null.</summary>
    public uint? EffectiveTxSlots => TxSlots ?? Slots;

    /// <summary>nr_rx_slots to request: <see cref="RxSlots"/>, else <see cref="Slots"/>, else null.</summary>
    public uint? EffectiveRxSlots => RxSlots ?? Slots;

    /// <summary>True when no key was given.</summary>
    public bool IsEmpty =>
        Rings is null && HostRings is null && Slots is null && TxRings is null && RxRings is null
        && HostTxRings is null && HostRxRings is null && TxSlots is null && RxSlots is null && Backend is null && Mode is null;
}
