using System.Runtime.InteropServices;
using Netmap.Abi;

namespace Netmap.Engine;

/// <summary>
/// A NIOCCTRL request in message form: nmreq_header at byte 0, and the body and every option somewhere in the same
/// buffer, the header's nr_body / nr_options and each nro_next holding byte offsets within the message (0 = NULL).
/// This is how both hosts carry netmap's structs byte for byte without user-space pointers.
/// Everything here is untrusted input: offsets, sizes and chains are checked before use.
/// </summary>
internal static class RequestMessage
{
    /// <summary>Largest message: header plus NETMAP_REQ_MAXSIZE bytes of body and options.</summary>
    public const int MaxSize = NmReqHeader.Size + NetmapConstants.RequestMaxSize;

    /// <summary>Body size of each request type; -1 = no body; null = unknown type.</summary>
    public static int? BodySize(RequestType t) => t switch
    {
        RequestType.Register => NmReqRegister.Size,
        RequestType.PortInfoGet => NmReqPortInfoGet.Size,
        RequestType.ValeAttach => NmReqValeAttach.Size,
        RequestType.ValeDetach => NmReqValeDetach.Size,
        RequestType.ValeList => NmReqValeList.Size,
        RequestType.PortHeaderSet or RequestType.PortHeaderGet => NmReqPortHeader.Size,
        RequestType.ValeNewInterface => NmReqValeNewInterface.Size,
        RequestType.ValeDeleteInterface => -1,
        RequestType.ValePollingEnable or RequestType.ValePollingDisable => NmReqValePolling.Size,
        RequestType.PoolsInfoGet => NmReqPoolsInfo.Size,
        RequestType.SyncKloopStart => NmReqSyncKloopStart.Size,
        RequestType.SyncKloopStop or RequestType.CsbEnable => -1,
        RequestType.ValePortStatsGet => NmReqValePortStats.Size,
        RequestType.SessionRegistrationGet => NmReqRegister.Size,
        RequestType.SessionSync => NmReqSessionSync.Size,
        RequestType.LegacyRegIf or RequestType.LegacyGetInfo => NmReqLegacy.Size,
        _ => null,
    };

    /// <summary>Size of a known option; variable-size ones use nro_size; unknown types are header-only.</summary>
    public static long OptionSize(in NmReqOption o) => o.Type switch
    {
        OptionType.ExtMem => NmReqOptExtMem.Size,
        OptionType.Csb => NmReqOptCsb.Size,
        OptionType.SyncKloopMode => NmReqOptSyncKloopMode.Size,
        OptionType.Offsets => NmReqOptOffsets.Size,
        OptionType.InterfaceBackend => NmReqOptInterfaceBackend.Size,
        OptionType.Access => NmReqOptAccess.Size,
        OptionType.SyncKloopEventFds => (long)Math.Min(o.Size, (ulong)int.MaxValue),
        _ => NmReqOption.HeaderSize,
    };

    public static ref NmReqHeader Header(Span<byte> msg) => ref MemoryMarshal.AsRef<NmReqHeader>(msg);

    public static ref T At<T>(Span<byte> msg, ulong offset) where T : struct
        => ref MemoryMarshal.AsRef<T>(msg.Slice((int)offset, Marshal.SizeOf<T>()));

    /// <summary>True when [offset, offset+size) lies in the message past the header.</summary>
    public static bool InBounds(int msgLength, ulong offset, long size)
        => offset >= NmReqHeader.Size && size >= 0 && offset <= (ulong)msgLength && (ulong)size <= (ulong)msgLength - offset;

    /// <summary>
    /// Checks the option chain: sets every nro_status to EOPNOTSUPP, marks type 0 and duplicates EINVAL.
    /// Returns 0, or the errno that fails the whole request (EINVAL, EFAULT for offsets outside the message,
    /// EMSGSIZE when body and options exceed NETMAP_REQ_MAXSIZE or the chain loops).
    /// </summary>
    public static Errno CheckOptions(Span<byte> msg, int bodySize, List<ulong> optionOffsets)
    {
        optionOffsets.Clear();
        ref var h = ref Header(msg);
        long total = Math.Max(bodySize, 0);
        ulong next = h.Options;
        Errno result = Errno.None;
        Span<int> seenAt = stackalloc int[(int)OptionType.Max];
        seenAt.Fill(-1);
        while (next != 0)
        {
            if (!InBounds(msg.Length, next, NmReqOption.HeaderSize)) return Errno.EFAULT;
            ref var o = ref At<NmReqOption>(msg, next);
            long size = OptionSize(o);
            if (size < NmReqOption.HeaderSize) size = NmReqOption.HeaderSize;
            total += size;
            if (total > NetmapConstants.RequestMaxSize || optionOffsets.Count >= NetmapConstants.RequestMaxSize / NmReqOption.HeaderSize)
                return Errno.EMSGSIZE;
            if (!InBounds(msg.Length, next, size)) return Errno.EFAULT;
            o.Status = (uint)Errno.EOPNOTSUPP;
            if (o.Type == 0) { o.Status = (uint)Errno.EINVAL; result = Errno.EINVAL; }
            else if ((uint)o.Type < (uint)OptionType.Max)
            {
                int prev = seenAt[(int)o.Type];
                if (prev >= 0)
                {
                    // The kernel stops at the first duplicate, so a chain that loops back to a known type is EINVAL
                    // (a loop of unknown types runs into the size limit instead: EMSGSIZE).
                    o.Status = (uint)Errno.EINVAL;
                    At<NmReqOption>(msg, optionOffsets[prev]).Status = (uint)Errno.EINVAL;
                    optionOffsets.Add(next);
                    return Errno.EINVAL;
                }
                else seenAt[(int)o.Type] = optionOffsets.Count;
            }
            optionOffsets.Add(next);
            next = o.Next;
        }
        return result;
    }
}
