using System.Text;
using Netmap.Abi;
using Netmap.Interop;
using Netmap.Api;

namespace Netmap;

/// <summary>A view of the port's struct netmap_if. Everything is const except <see cref="BufsHead"/> (user-writable).</summary>
public sealed class NetmapInterface
{
    private readonly MappedMemory _mem;
    private readonly long _offset;

    internal NetmapInterface(MappedMemory mem, long offset, int ringOfsCount)
    {
        _mem = mem; _offset = offset; RingOfsCount = ringOfsCount;
        ref var h = ref mem.Ref<NetmapIfHeader>(offset);
        ReadOnlySpan<byte> n = h.Name;
        int end = n.IndexOf((byte)0);
        Name = Encoding.UTF8.GetString(end < 0 ? n : n[..end]);
        TxRings = h.TxRings; RxRings = h.RxRings; HostTxRings = h.HostTxRings; HostRxRings = h.HostRxRings; Flags = h.Flags;
    }

    /// <summary>Region offset of the netmap_if (nr_offset).</summary>
    public long Offset => _offset;
    /// <summary>ni_name.</summary>
    public string Name { get; }
    /// <summary>ni_tx_rings: hardware TX rings of the port.</summary>
    public uint TxRings { get; }
    /// <summary>ni_rx_rings: hardware RX rings.</summary>
    public uint RxRings { get; }
    /// <summary>ni_host_tx_rings.</summary>
    public uint HostTxRings { get; }
    /// <summary>ni_host_rx_rings.</summary>
    public uint HostRxRings { get; }
    /// <summary>ni_flags.</summary>
    public InterfaceFlags Flags { get; }
    /// <summary>Entries of ring_ofs[].</summary>
    public int RingOfsCount { get; }

    /// <summary>ring_ofs[i] (0 for rings not bound to this port).</summary>
    public long RingOffset(int i)
    {
        if ((uint)i >= (uint)RingOfsCount) throw new ArgumentOutOfRangeException(nameof(i));
        return _mem.Ref<long>(_offset + NetmapIfHeader.OffsetOfRingOfs + 8L * i);
    }

    /// <summary>(u) ni_bufs_head: first extra buffer; each buffer's first u32 is the next index, 0 ends the list.</summary>
    public uint BufsHead
    {
        get => _mem.Ref<NetmapIfHeader>(_offset).BufsHead;
        set => _mem.Ref<NetmapIfHeader>(_offset).BufsHead = value;
    }
}
