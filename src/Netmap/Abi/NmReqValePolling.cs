using System.Runtime.InteropServices;

namespace Netmap.Abi;

/// <summary>struct nmreq_vale_polling (16 bytes).</summary>
[StructLayout(LayoutKind.Explicit, Size = 16)]
public struct NmReqValePolling
{
    [FieldOffset(0)] public uint Mode;
    [FieldOffset(4)] public uint FirstCpuId;
    [FieldOffset(8)] public uint NumPollingCpus;

    public const int Size = 16;
}
