using System.Runtime.InteropServices;

namespace Netmap.Abi;

/// <summary>struct nmreq_sync_kloop_start (8 bytes).</summary>
[StructLayout(LayoutKind.Explicit, Size = 8)]
internal struct NmReqSyncKloopStart
{
    /// <summary>at most 1,000,000.</summary>
    [FieldOffset(0)] public uint SleepUs;

    public const int Size = 8;
}
