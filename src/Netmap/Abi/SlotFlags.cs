using Netmap.Abi;
namespace Netmap;

/// <summary>netmap_slot.flags (NS_*). Written by whoever owns the slot at the time (see <see cref="NetmapSlot"/>).</summary>
[Flags]
public enum SlotFlags : ushort
{
    /// <summary>No flag.</summary>
    None = 0,
    /// <summary>NS_BUF_CHANGED: the slot's buffer index was replaced; set by the writer, cleared by the consumer.</summary>
    BufferChanged = 0x0001,
    /// <summary>NS_REPORT: ask for prompt completion reporting of this TX slot.</summary>
    Report = 0x0002,
    /// <summary>NS_FORWARD: forward this slot to the other side (host stack transparency).</summary>
    Forward = 0x0004,
    /// <summary>NS_NO_LEARN: defined by netmap, not honoured by VALE.</summary>
    NoLearn = 0x0008,
    /// <summary>NS_INDIRECT: the data is at <see cref="NetmapSlot.Ptr"/> (VALE only).</summary>
    Indirect = 0x0010,
    /// <summary>NS_MOREFRAG: the packet continues in the next slot.</summary>
    MoreFragments = 0x0020,
    /// <summary>NS_TXMON: a monitor slot copied from a TX ring.</summary>
    TxMonitor = 0x0040,
    /// <summary>NS_PORT_MASK: high byte (VALE destination override / NS_RFRAGS on VALE RX).</summary>
    PortMask = 0xff00,
}
