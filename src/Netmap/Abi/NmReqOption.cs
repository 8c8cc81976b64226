using System.Runtime.InteropServices;

namespace Netmap.Abi;

/// <summary>struct nmreq_option (24 bytes), the header of every option in the chain.</summary>
[StructLayout(LayoutKind.Explicit, Size = 24)]
internal struct NmReqOption
{
    /// <summary>pointer to the next option (offset within the message on the netmapd socket), 0 ends.</summary>
    [FieldOffset(0)] public ulong Next;
    [FieldOffset(8)] public OptionType Type;
    /// <summary>out: 0 when the option was accepted, else an errno (EOPNOTSUPP until processed).</summary>
    [FieldOffset(12)] public uint Status;
    /// <summary>total size, only for variable-size options.</summary>
    [FieldOffset(16)] public ulong Size;

    public const int HeaderSize = 24;
}
