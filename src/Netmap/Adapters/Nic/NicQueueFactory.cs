using Netmap.Abi;
using Netmap.Interop;
using Netmap.Rings;

namespace Netmap.Adapters.Nic;

/// <summary>
/// Builds the process-side <see cref="RingBackend"/> of one interface queue from the descriptor the engine handed
/// over, according to the krings' kind. Used by every process that binds interface rings (the embedded engine's
/// own clients included): the sync runs in the caller, as in netmap.
/// </summary>
internal static class NicQueueFactory
{
    /// <summary>Opens queue <paramref name="fd"/> for <paramref name="tx"/> and/or <paramref name="rx"/> (either may
    /// be null when the registration bound one direction only). Throws a <see cref="NetmapException"/> naming
    /// <paramref name="owner"/> when the descriptor or the kring parameters are not usable.</summary>
    public static RingBackend Open(KringKind kind, int fd, Kring? tx, Kring? rx, MappedMemory mem, in RegionLayout layout, string owner) => kind switch
    {
        KringKind.XdpTx or KringKind.XdpRx => Xdp.XdpQueue.Open(fd, tx, rx, mem, layout, owner),
        KringKind.PacketTx or KringKind.PacketRx => Packet.PacketQueue.Open(fd, tx, rx, mem, layout, owner),
        KringKind.TapTx or KringKind.TapRx => Tap.TapQueue.Open(fd, tx, rx, mem, layout, owner),
        _ => throw NetmapException.Create(owner, "mmap", Errno.EINVAL, $"ring kind {kind} has no kernel queue"),
    };

    public static bool IsInterfaceKind(KringKind kind) => kind is >= KringKind.XdpTx and <= KringKind.TapRx;
}
