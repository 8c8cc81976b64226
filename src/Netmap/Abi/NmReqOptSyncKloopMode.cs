using System.Runtime.InteropServices;

namespace Netmap.Abi;

/// <summary>struct nmreq_opt_sync_kloop_mode (32 bytes).</summary>
[StructLayout(LayoutKind.Explicit, Size = 32)]
internal struct NmReqOptSyncKloopMode
{
    [FieldOffset(0)] public NmReqOption Option;
    [FieldOffset(24)] public uint Mode;

    public const int Size = 32;
}
