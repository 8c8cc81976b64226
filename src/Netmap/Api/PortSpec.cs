using Netmap.Abi;
using Netmap.Api;

namespace Netmap;

/// <summary>
/// A parsed libnetmap port spec such as <c>netmap:eth0-2/T@conf:slots=1024</c> or <c>vale0:p1{0</c>:
/// the nmreq_header name, the nmreq_register mode/ring/flags/memory id, and the options.
/// Built only by <see cref="PortSpecParser"/>, so every instance satisfies the grammar documented there.
/// Immutable and thread-safe. Nothing here touches the system: whether the port, the shared port or the
/// extmem file exists is decided when the port is opened.
/// </summary>
public sealed class PortSpec
{
    internal PortSpec(string spec, string name)
    {
        Spec = spec;
        Name = name;
    }

    /// <summary>The spec exactly as given to the parser.</summary>
    public string Spec { get; }

    /// <summary>
    /// The value for nmreq_header.nr_name (at most 63 characters): for <c>netmap:</c> the text after the
    /// prefix up to the mode (e.g. <c>eth0</c>, <c>pipe{in</c>); for VALE the whole <c>valeX:port</c> plus
    /// any pipe suffix (e.g. <c>vale0:0{0</c>).
    /// </summary>
    public string Name { get; }

    /// <summary>True when the spec used the <c>vale</c> prefix.</summary>
    public bool IsVale { get; internal init; }

    /// <summary>The VALE switch name including the prefix (<c>vale0</c>, or <c>vale</c>); null for <c>netmap:</c>.</summary>
    public string? SwitchName { get; internal init; }

    /// <summary>
    /// The port part of <see cref="Name"/> without switch and pipe suffix: <c>eth0</c> for
    /// <c>netmap:eth0</c>, <c>pipe</c> for <c>netmap:pipe{in</c>, <c>p1</c> for <c>vale0:p1{0</c>.
    /// </summary>
    public string PortName { get; internal init; } = "";

    /// <summary>nr_mode: <see cref="RegisterMode.AllNic"/> unless the spec has '^', '^N', '*' or '-N'.</summary>
    public RegisterMode Mode { get; internal init; } = RegisterMode.AllNic;

    /// <summary>nr_ringid: N of '-N' or '^N' (0..4094); 0 for the other modes.</summary>
    public ushort RingId { get; internal init; }

    /// <summary>nr_flags from the '/' letters (x z t r R T); <see cref="RegisterFlags.None"/> if none.</summary>
    public RegisterFlags Flags { get; internal init; }

    /// <summary>nr_mem_id from '@N' (1..65535); 0 when not given (the adapter's own allocator).</summary>
    public ushort MemId { get; internal init; }

    /// <summary>
    /// The pipe separator: '{' (master end), '}' (slave end), or '\0' when the name has no pipe suffix.
    /// </summary>
    public char PipeRole { get; internal init; }

    /// <summary>True when <see cref="PipeRole"/> is '{' or '}'.</summary>
    public bool IsPipe => PipeRole != '\0';

    /// <summary>The nr_name of the pipe's parent (<see cref="Name"/> before '{'/'}'); null when not a pipe.</summary>
    public string? PipeParent { get; internal init; }

    /// <summary>The pipe identifier after '{'/'}' (non-empty, [A-Za-z0-9_.]); null when not a pipe.</summary>
    public string? PipeId { get; internal init; }

    /// <summary>
    /// <c>@share=PORT</c>: a spec (already validated by the parser) of an existing port whose memory id
    /// this port must use; null when not given. The caller looks the id up (PORT_INFO_GET) and must reject
    /// it with EINVAL when it differs from a non-zero <see cref="MemId"/>, as libnetmap does.
    /// </summary>
    public string? ShareWith { get; internal init; }

    /// <summary>The <c>@conf</c> values as given; <see cref="PortConfig.Empty"/> when absent. Never null.</summary>
    public PortConfig Conf { get; internal init; } = PortConfig.Empty;

    /// <summary>Resolved nr_tx_rings request (<c>tx_rings</c>, else <c>rings</c>); null = port default.</summary>
    public uint? TxRings => Conf.EffectiveTxRings;

    /// <summary>Resolved nr_rx_rings request (<c>rx_rings</c>, else <c>rings</c>); null = port default.</summary>
    public uint? RxRings => Conf.EffectiveRxRings;

    /// <summary>Resolved nr_host_tx_rings request (<c>host_tx_rings</c>, else <c>host_rings</c>); null = port default.</summary>
    public uint? HostTxRings => Conf.EffectiveHostTxRings;

    /// <summary>Resolved nr_host_rx_rings request (<c>host_rx_rings</c>, else <c>host_rings</c>); null = port default.</summary>
    public uint? HostRxRings => Conf.EffectiveHostRxRings;

    /// <summary>Resolved nr_tx_slots request (<c>tx_slots</c>, else <c>slots</c>); null = port default.</summary>
    public uint? TxSlots => Conf.EffectiveTxSlots;

    /// <summary>Resolved nr_rx_slots request (<c>rx_slots</c>, else <c>slots</c>); null = port default.</summary>
    public uint? RxSlots => Conf.EffectiveRxSlots;

    /// <summary>
    /// <c>@extmem</c>: parsed only; whether external memory is supported is the caller's decision
    /// (EOPNOTSUPP if not). Null when not given.
    /// </summary>
    public ExtMemOption? ExtMem { get; internal init; }

    /// <summary><c>@offset</c> (accepted only when the parser was told to enable it); null when not given.</summary>
    public OffsetOption? Offset { get; internal init; }

    /// <summary>Returns <see cref="Spec"/>.</summary>
    public override string ToString() => Spec;

    /// <summary>
    /// <c>@extmem:file=PATH[,if-num=N,if-size=N,ring-num=N,ring-size=N,buf-num=N,buf-size=N]</c>: the file to
    /// map as the port's memory and the nmreq_pools_info sizes to request (null = let netmap choose).
    /// </summary>
    /// <param name="File">Path of the file to mmap (non-empty; cannot contain '@' or, with key syntax, ',').</param>
    /// <param name="IfNum">nr_if_pool_objtotal.</param>
    /// <param name="IfSize">nr_if_pool_objsize.</param>
    /// <param name="RingNum">nr_ring_pool_objtotal.</param>
    /// <param name="RingSize">nr_ring_pool_objsize.</param>
    /// <param name="BufNum">nr_buf_pool_objtotal.</param>
    /// <param name="BufSize">nr_buf_pool_objsize.</param>
    public sealed record ExtMemOption(
        string File, uint? IfNum, uint? IfSize, uint? RingNum, uint? RingSize, uint? BufNum, uint? BufSize);

    /// <summary><c>@offset:initial=N[,bits=B]</c>: the initial slot offset and the offset bits (null = 0).</summary>
    /// <param name="Initial">nro_initial_offset (and nro_max_offset, as libnetmap sets both).</param>
    /// <param name="Bits">nro_offset_bits; null when not given.</param>
    public sealed record OffsetOption(ulong Initial, uint? Bits);
}
