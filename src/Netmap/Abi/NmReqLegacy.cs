using System.Runtime.InteropServices;

namespace Netmap.Abi;

/// <summary>Legacy struct nmreq (60 bytes) of NIOCREGIF/NIOCGINFO (converted by <c>Netmap.Engine.LegacyRequest</c>).</summary>
[StructLayout(LayoutKind.Explicit, Size = 60)]
internal struct NmReqLegacy
{
    [FieldOffset(0)] public InterfaceName Name;
    [FieldOffset(16)] public uint Version;
    [FieldOffset(20)] public uint Offset;
    [FieldOffset(24)] public uint MemSize;
    [FieldOffset(28)] public uint TxSlots;
    [FieldOffset(32)] public uint RxSlots;
    [FieldOffset(36)] public ushort TxRings;
    [FieldOffset(38)] public ushort RxRings;
    [FieldOffset(40)] public ushort RingId;
    [FieldOffset(42)] public ushort Cmd;
    [FieldOffset(44)] public ushort Arg1;
    [FieldOffset(46)] public ushort Arg2;
    [FieldOffset(48)] public uint Arg3;
    [FieldOffset(52)] public uint Flags;
    [FieldOffset(56)] public uint Spare;

    public const int Size = 60;

    /// <summary>nr_name up to its NUL (at most 15 bytes).</summary>
    public readonly string GetName()
    {
        ReadOnlySpan<byte> n = Name;
        n = n[..(NetmapConstants.InterfaceNameSize - 1)];
        int end = n.IndexOf((byte)0);
        return System.Text.Encoding.UTF8.GetString(end < 0 ? n : n[..end]);
    }
}
