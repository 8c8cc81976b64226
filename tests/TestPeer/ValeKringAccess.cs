using System.Runtime.CompilerServices;
using Netmap.Abi;
using Netmap.Api;
using Netmap.Memory;
using Netmap.Rings;

namespace Netmap.TestPeer;

/// <summary>
/// What a hostile client can do that the library never does: reach the kring records of its own port (the
/// <see cref="KringState"/> table after nr_memsize in the region it mapped) and write them directly, bypassing
/// the sync routines' prologue. The region's base is found from TX ring 0's first slot and its ring_ofs; the
/// record of a ring is the one whose RingOffset names that ring. Only the documented layout is used (through the
/// library's internal structs, visible to this peer): a client written in C could do the same.
/// </summary>
internal static class ValeKringAccess
{
    /// <summary>The kring record of TX ring <paramref name="i"/> (index in <see cref="NetmapPort.TxRings"/>).</summary>
    public static ref KringState Tx(NetmapPort port, int i)
        => ref Find(port, port.Interface.Offset + port.Interface.RingOffset(port.FirstTxRing + i));

    /// <summary>The kring record of RX ring <paramref name="i"/> (index in <see cref="NetmapPort.RxRings"/>).</summary>
    public static ref KringState Rx(NetmapPort port, int i)
        => ref Find(port, port.Interface.Offset + port.Interface.RingOffset((int)(port.Interface.TxRings + port.Interface.HostTxRings) + port.FirstRxRing + i));

    private static ref byte Base(NetmapPort port)
    {
        long ringOfs = port.Interface.Offset + port.Interface.RingOffset(port.FirstTxRing);
        ref byte slot0 = ref Unsafe.As<NetmapSlot, byte>(ref port.TxRings[0].Slot(0));
        return ref Unsafe.SubtractByteOffset(ref slot0, (nint)(ringOfs + NetmapRingHeader.OffsetOfSlots));
    }

    private static ref KringState Find(NetmapPort port, long ringOffset)
    {
        ref byte b = ref Base(port);
        ref var h = ref Unsafe.As<byte, RegionHeader>(ref Unsafe.AddByteOffset(ref b, (nint)port.MemSize));
        if (h.Magic != RegionHeader.MagicValue || (long)h.MemSize != port.MemSize)
            throw new PeerFailure($"no region header at nr_memsize {port.MemSize}: the region base was not found");
        for (uint i = 0; i < h.RingObjTotal; i++)
        {
            ref var ks = ref Unsafe.As<byte, KringState>(ref Unsafe.AddByteOffset(ref b, (nint)((long)h.KringTableOffset + (long)i * RegionHeader.KringRecordSize)));
            if (ks.RingOffset == ringOffset) return ref ks;
        }
        throw new PeerFailure($"no kring record for the ring at offset {ringOffset}");
    }
}
