using System.Runtime.CompilerServices;
using Netmap.Abi;
using Netmap.Adapters.Monitor;
using Netmap.Rings;

namespace Netmap.Adapters.Vale;

/// <summary>
/// Client-side rxsync of a VALE port RX ring: releases [hwcur, head) by publishing hwcur (the forwarders validate it
/// in <see cref="ValeRxQueue.Reserve"/>), then exposes what the switch published in hwtail, when it is a legal move.
/// </summary>
internal readonly struct ValeRxCore : IRxSyncCore
{
    public static bool RxSync(Kring k, uint token)
    {
        var core = new ValeRxCore();
        return SyncFrame.Rx(k, token, ref core);
    }

    public bool OwnsHwTail => false;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool RxSync(Kring k, ref KringState ks, ref SyncSnapshot s, uint token)
    {
        uint n = s.NumSlots, hwcur = s.HwCur, head = s.Head;
        if (head != hwcur)
        {
            if (Volatile.Read(ref ks.MonitorCount) != 0) MonitorHooks.RxReleased(k, hwcur, head, token); // zero-copy monitors
            ref var s0 = ref k.Ring.Slot(0);
            for (uint i = hwcur; i != head; i = i + 1 == n ? 0 : i + 1)
            {
                ref var slot = ref Unsafe.Add(ref s0, (nint)i);
                var f = slot.Flags;
                if ((f & SlotFlags.BufferChanged) != 0) slot.Flags = f & ~SlotFlags.BufferChanged;
            }
            Volatile.Write(ref ks.HwCur, head); // the switch may now fill [old hwcur, head) again
            s.HwCur = head;
        }
        SyncFrame.AcceptProducerTail(ref ks, ref s);
        return true;
    }
}
