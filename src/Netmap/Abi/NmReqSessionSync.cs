using System.Runtime.InteropServices;

namespace Netmap.Abi;

/// <summary>
/// Our extension (request <see cref="RequestType.SessionSync"/>): what the engine runs on the session's rings for a
/// client that cannot run the syncs itself. <see cref="Flags"/> picks the work: <see cref="TxSync"/> /
/// <see cref="RxSync"/> (NIOCTXSYNC / NIOCRXSYNC), <see cref="Check"/> (one poll() round for <see cref="Events"/>:
/// syncs, then readiness in <see cref="REvents"/>), <see cref="Arm"/> (the same after arming the wakeup, which stays
/// armed when nothing is ready: then sleep on the port's descriptors) and <see cref="Disarm"/>.
/// </summary>
[StructLayout(LayoutKind.Explicit, Size = 16)]
internal struct NmReqSessionSync
{
    public const uint TxSync = 1, RxSync = 2, Check = 4, Arm = 8, Disarm = 16;

    /// <summary>in: what to do.</summary>
    [FieldOffset(0)] public uint Flags;
    /// <summary>in: POLLIN / POLLOUT wanted (Check, Arm, Disarm).</summary>
    [FieldOffset(4)] public ushort Events;
    /// <summary>out: POLLIN / POLLOUT / POLLERR ready.</summary>
    [FieldOffset(6)] public ushort REvents;
    [FieldOffset(8)] public ulong Reserved;

    public const int Size = 16;
}
