using System.Runtime.InteropServices;

namespace Netmap.Abi;

/// <summary>
/// Our extension (request <see cref="RequestType.ValePortStatsGet"/>, not in netmap): the counters of one VALE
/// port, named "valeX:Y" in the header. All fields are out; counters are since the port was created.
/// </summary>
[StructLayout(LayoutKind.Explicit, Size = 64)]
public struct NmReqValePortStats
{
    /// <summary>Frames the switch delivered into this port's RX rings.</summary>
    [FieldOffset(0)] public ulong RxPackets;
    /// <summary>Bytes of the frames counted in <see cref="RxPackets"/>.</summary>
    [FieldOffset(8)] public ulong RxBytes;
    /// <summary>Frames for this port dropped because its RX ring was full (or not bound).</summary>
    [FieldOffset(16)] public ulong RxDrops;
    /// <summary>Frames this port sent into the switch (before lookup).</summary>
    [FieldOffset(24)] public ulong TxPackets;
    /// <summary>Bytes of the frames counted in <see cref="TxPackets"/>.</summary>
    [FieldOffset(32)] public ulong TxBytes;
    /// <summary>Frames from this port the switch dropped (lookup said drop, runt, unknown destination).</summary>
    [FieldOffset(40)] public ulong TxDrops;
    /// <summary>Index of the port's switch.</summary>
    [FieldOffset(48)] public ushort BridgeIndex;
    /// <summary>The port's index on its switch.</summary>
    [FieldOffset(52)] public uint PortIndex;

    /// <summary>Size of the body.</summary>
    public const int Size = 64;
}
