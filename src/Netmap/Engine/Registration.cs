using Netmap.Abi;
using Netmap.Adapters;
using Netmap.Memory;

namespace Netmap.Engine;

/// <summary>One successful REGISTER: the adapter, the rings bound, the netmap_if made for it, its sync token.</summary>
internal sealed class Registration
{
    public required NetmapAdapter Adapter { get; init; }
    public required uint Token { get; init; }
    public required uint IfIndex { get; init; }
    public required long NifpOffset { get; init; }
    public required int TxFirst { get; init; }
    public required int TxLast { get; init; }
    public required int RxFirst { get; init; }
    public required int RxLast { get; init; }
    public required bool Exclusive { get; init; }
    public required RegisterFlags Flags { get; init; }
    /// <summary>The extra buffers granted (nr_extra_bufs), null when none were asked for.</summary>
    public required BufferOwner? ExtraBuffers { get; init; }
    /// <summary>What the extra buffers cost the caller (given back at close).</summary>
    public ResourceCharge? ExtraCharge { get; init; }
    /// <summary>The extra buffers, in list order, until the list has been threaded through them outside the engine lock
    /// and published; null afterwards (and when there are none).</summary>
    public uint[]? PendingExtra { get; set; }
    /// <summary>The nmreq_register REGISTER wrote back (re-sent to a process adopting the descriptor).</summary>
    public NmReqRegister Written { get; set; }
}
