using Netmap.Abi;

namespace Netmap.Adapters.Vale;

/// <summary>
/// One forwarding thread's working arrays (netmap's ft[] batch and dst_ents lists), sized once for a full batch
/// so that a flush allocates nothing. Packets are linked into one list per destination (port, ring) in batch
/// order, broadcast packets into their own list.
/// </summary>
internal sealed class ForwardScratch
{
    /// <summary>A batch is flushed at the first packet end at or after <see cref="NetmapConstants.BridgeBatch"/>
    /// slots, and a packet has at most <see cref="NetmapConstants.MaxFragments"/> slots.</summary>
    public const int MaxSlots = NetmapConstants.BridgeBatch + NetmapConstants.MaxFragments;
    public const int Destinations = NetmapConstants.BridgeMaxPorts * NetmapConstants.BridgeMaxRings;

    [ThreadStatic] private static ForwardScratch? t_scratch;

    /// <summary>The calling thread's scratch (made on its first flush).</summary>
    public static ForwardScratch ForCurrentThread => t_scratch ??= new ForwardScratch();

    public readonly uint[] SlotBuffer = new uint[MaxSlots];
    public readonly ushort[] SlotLength = new ushort[MaxSlots];
    public readonly int[] PacketFirst = new int[MaxSlots];
    public readonly int[] PacketFrags = new int[MaxSlots];
    public readonly int[] PacketBytes = new int[MaxSlots];
    public readonly int[] PacketNext = new int[MaxSlots];
    public readonly int[] ListHead = new int[Destinations];
    public readonly int[] ListTail = new int[Destinations];
    public readonly ushort[] Used = new ushort[Destinations];
    /// <summary>One destination's packets in batch order, and the running slot count.</summary>
    public readonly int[] Order = new int[MaxSlots];
    public readonly int[] Cumulative = new int[MaxSlots];
    public int Slots, Packets, UsedCount, BroadcastHead = -1, BroadcastTail = -1;

    public ForwardScratch() => Array.Fill(ListHead, -1);

    public void AddSlot(uint buffer, ushort length)
    {
        SlotBuffer[Slots] = buffer;
        SlotLength[Slots] = length;
        Slots++;
    }

    public void EndPacket(int frags, int bytes)
    {
        PacketFirst[Packets] = Slots - frags;
        PacketFrags[Packets] = frags;
        PacketBytes[Packets] = bytes;
        PacketNext[Packets] = -1;
        Packets++;
    }

    public void Append(int destination, int packet)
    {
        int tail = ListTail[destination];
        if (ListHead[destination] < 0) { ListHead[destination] = packet; Used[UsedCount++] = (ushort)destination; }
        else PacketNext[tail] = packet;
        ListTail[destination] = packet;
    }

    public void AppendBroadcast(int packet)
    {
        if (BroadcastHead < 0) BroadcastHead = packet; else PacketNext[BroadcastTail] = packet;
        BroadcastTail = packet;
    }

    /// <summary>Empties the batch (destination lists included).</summary>
    public void Clear()
    {
        for (int i = 0; i < UsedCount; i++) ListHead[Used[i]] = -1;
        UsedCount = 0;
        Slots = Packets = 0;
        BroadcastHead = BroadcastTail = -1;
    }
}
