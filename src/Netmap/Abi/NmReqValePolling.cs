using System.Runtime.InteropServices;

namespace Netmap.Abi;

/// <summary>struct nmreq_vale_polling (16 bytes).</summary>
[StructLayout(LayoutKind.Explicit, Size = 16)]
public struct NmReqValePolling
{
    /// <summary>NETMAP_POLLING_MODE_SINGLE_CPU or _MULTI_CPU (<see cref="NetmapConstants.PollingModeSingleCpu"/>).</summary>
    [FieldOffset(0)] public uint Mode;
    /// <summary>First CPU to poll on.</summary>
    [FieldOffset(4)] public uint FirstCpuId;
    /// <summary>CPUs to use (single-CPU mode: exactly 1).</summary>
    [FieldOffset(8)] public uint NumPollingCpus;

    /// <summary>sizeof(struct nmreq_vale_polling).</summary>
    public const int Size = 16;
}
