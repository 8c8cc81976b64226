using System.Runtime.InteropServices;
using Netmap.Abi;

namespace Netmap.Engine;

/// <summary>
/// netmap's legacy control API (NIOCREGIF / NIOCGINFO with the 60-byte <c>struct nmreq</c>, nr_version 14 and up)
/// converted to and from a NIOCCTRL request in <see cref="RequestMessage"/> form, the way netmap's legacy layer does:
/// nr_cmd picks the request (0 REGISTER, BDG_ATTACH/DETACH/VNET_HDR/VNET_HDR_GET/NEWIF/DELIF/POLLING_ON/OFF; for
/// NIOCGINFO BDG_LIST or PORT_INFO_GET), nr_arg2 is the mem_id, nr_arg3 the extra buffers, the mode comes from
/// nr_flags or (NR_REG_DEFAULT) from the ringid bits, PIPE_MASTER/SLAVE become the name suffix "{N" / "}N", and
/// NETMAP_NO_TX_POLL / NETMAP_DO_RX_POLL become nr_flags bits. Only the fields netmap writes back are written back,
/// and only on success. Any host can use it: the engine serves it as <see cref="RequestType.LegacyRegIf"/> /
/// <see cref="RequestType.LegacyGetInfo"/>, an API caller could send the converted request itself.
/// </summary>
internal static class LegacyRequest
{
    // nr_cmd values (struct nmreq).
    public const ushort BdgAttach = 1, BdgDetach = 2, BdgRegOps = 3, BdgList = 4, BdgVnetHdr = 5, BdgNewIf = 6, BdgDelIf = 7,
        PtHostCreate = 8, PtHostDelete = 9, BdgPollingOn = 10, BdgPollingOff = 11, VnetHdrGet = 12;
    /// <summary>nr_arg1 bit of BDG_ATTACH: attach the host stack too (NR_REG_NIC_SW).</summary>
    public const ushort BdgHost = 1;
    /// <summary>Largest converted message: header and the largest body used (nmreq_vale_attach).</summary>
    public const int MaxMessage = NmReqHeader.Size + NmReqValeAttach.Size;

    /// <summary>
    /// Builds the NIOCCTRL request for <paramref name="legacy"/> into <paramref name="message"/> (at least
    /// <see cref="MaxMessage"/> bytes, cleared here). Returns the message length, or a negative errno: EINVAL for
    /// nr_version below 14 or an nr_cmd with no new-API request, ENOMEM for the ptnetmap commands (as netmap, whose
    /// conversion fails there).
    /// </summary>
    public static int ToRequest(ref NmReqLegacy legacy, bool regIf, Span<byte> message)
    {
        if (legacy.Version < NetmapConstants.MinApi) return -(int)Errno.EINVAL;
        message[..MaxMessage].Clear();
        ref var h = ref MemoryMarshal.AsRef<NmReqHeader>(message);
        Span<byte> legacyName = legacy.Name;
        legacyName[^1] = 0;
        int nameLen = legacyName.IndexOf((byte)0);
        Span<byte> name = h.Name;
        legacyName[..nameLen].CopyTo(name);
        h.Version = NetmapConstants.Api;
        RequestType type;
        int bodySize;
        var body = message[NmReqHeader.Size..];
        if (!regIf)
        {
            if (legacy.Cmd == BdgList)
            {
                type = RequestType.ValeList;
                ref var l = ref MemoryMarshal.AsRef<NmReqValeList>(body);
                l.BridgeIndex = legacy.Arg1;
                l.PortIndex = legacy.Arg2;
                bodySize = NmReqValeList.Size;
            }
            else
            {
                type = RequestType.PortInfoGet;
                ref var i = ref MemoryMarshal.AsRef<NmReqPortInfoGet>(body);
                i.MemSize = legacy.MemSize;
                i.TxSlots = legacy.TxSlots; i.RxSlots = legacy.RxSlots;
                i.TxRings = legacy.TxRings; i.RxRings = legacy.RxRings;
                i.MemId = legacy.Arg2;
                bodySize = NmReqPortInfoGet.Size;
            }
        }
        else
        {
            switch (legacy.Cmd)
            {
                case 0:
                    type = RequestType.Register;
                    if (!RegisterFromLegacy(ref legacy, ref h, ref MemoryMarshal.AsRef<NmReqRegister>(body))) return -(int)Errno.ENOBUFS;
                    bodySize = NmReqRegister.Size;
                    break;
                case BdgAttach:
                {
                    type = RequestType.ValeAttach;
                    ref var a = ref MemoryMarshal.AsRef<NmReqValeAttach>(body);
                    if (!RegisterFromLegacy(ref legacy, ref h, ref a.Register)) return -(int)Errno.ENOBUFS;
                    a.Register.Mode = (legacy.Arg1 & BdgHost) != 0 ? RegisterMode.NicAndSoftware : RegisterMode.AllNic;
                    bodySize = NmReqValeAttach.Size;
                    break;
                }
                case BdgDetach:
                    type = RequestType.ValeDetach; bodySize = NmReqValeDetach.Size; break;
                case BdgVnetHdr or VnetHdrGet:
                    type = legacy.Cmd == BdgVnetHdr ? RequestType.PortHeaderSet : RequestType.PortHeaderGet;
                    MemoryMarshal.AsRef<NmReqPortHeader>(body).HeaderLength = legacy.Arg1;
                    bodySize = NmReqPortHeader.Size;
                    break;
                case BdgNewIf:
                {
                    type = RequestType.ValeNewInterface;
                    ref var n = ref MemoryMarshal.AsRef<NmReqValeNewInterface>(body);
                    n.TxSlots = legacy.TxSlots; n.RxSlots = legacy.RxSlots;
                    n.TxRings = legacy.TxRings; n.RxRings = legacy.RxRings;
                    n.MemId = legacy.Arg2;
                    bodySize = NmReqValeNewInterface.Size;
                    break;
                }
                case BdgDelIf:
                    type = RequestType.ValeDeleteInterface; bodySize = -1; break;
                case BdgPollingOn or BdgPollingOff:
                {
                    type = legacy.Cmd == BdgPollingOn ? RequestType.ValePollingEnable : RequestType.ValePollingDisable;
                    ref var p = ref MemoryMarshal.AsRef<NmReqValePolling>(body);
                    p.Mode = (RegisterMode)(legacy.Flags & NetmapConstants.RegisterModeMask) switch
                    {
                        RegisterMode.OneNic => NetmapConstants.PollingModeMultiCpu,
                        RegisterMode.AllNic => NetmapConstants.PollingModeSingleCpu,
                        _ => 0,
                    };
                    p.FirstCpuId = (uint)(legacy.RingId & NetmapConstants.RingMask);
                    p.NumPollingCpus = legacy.Arg1;
                    bodySize = NmReqValePolling.Size;
                    break;
                }
                case PtHostCreate or PtHostDelete:
                    return -(int)Errno.ENOMEM;
                default:
                    return -(int)Errno.EINVAL;
            }
        }
        h.RequestType = type;
        h.Body = bodySize > 0 ? (ulong)NmReqHeader.Size : 0;
        return NmReqHeader.Size + Math.Max(bodySize, 0);
    }

    /// <summary>nmreq_register from the legacy fields; false when the pipe suffix does not fit the name (ENOBUFS).</summary>
    private static bool RegisterFromLegacy(ref NmReqLegacy legacy, ref NmReqHeader h, ref NmReqRegister r)
    {
        r.Offset = legacy.Offset;
        r.MemSize = legacy.MemSize;
        r.TxSlots = legacy.TxSlots; r.RxSlots = legacy.RxSlots;
        r.TxRings = legacy.TxRings; r.RxRings = legacy.RxRings;
        r.MemId = legacy.Arg2;
        r.RingId = (ushort)(legacy.RingId & NetmapConstants.RingMask);
        var mode = (RegisterMode)(legacy.Flags & NetmapConstants.RegisterModeMask);
        // netmap derives the default mode from NETMAP_SW_RING / NETMAP_HW_RING of the ringid it already masked with
        // NETMAP_RING_MASK, so NR_REG_DEFAULT always becomes NR_REG_ALL_NIC; we keep that behaviour.
        if (mode == RegisterMode.Default) mode = RegisterMode.AllNic;
        if (mode is RegisterMode.PipeMaster or RegisterMode.PipeSlave)
        {
            string suffix = (mode == RegisterMode.PipeMaster ? "{" : "}") + r.RingId.ToString(System.Globalization.CultureInfo.InvariantCulture);
            Span<byte> name = h.Name;
            int len = name.IndexOf((byte)0);
            if (len < 0 || len + suffix.Length >= NetmapConstants.RequestIfNameSize) return false;
            for (int i = 0; i < suffix.Length; i++) name[len + i] = (byte)suffix[i];
            mode = RegisterMode.AllNic;
            r.RingId = 0;
        }
        r.Mode = mode;
        var flags = (RegisterFlags)(legacy.Flags & ~NetmapConstants.RegisterModeMask);
        if ((legacy.RingId & NetmapConstants.NoTxPollBit) != 0) flags |= RegisterFlags.NoTxPoll;
        if ((legacy.RingId & NetmapConstants.DoRxPollBit) != 0) flags |= RegisterFlags.DoRxPoll;
        r.Flags = flags;
        r.ExtraBufs = legacy.Arg3;
        return true;
    }

    /// <summary>Writes back into <paramref name="legacy"/> what netmap's legacy layer writes back after a successful
    /// request (the reply of <see cref="ToRequest"/>'s message).</summary>
    public static void FromReply(ReadOnlySpan<byte> message, ref NmReqLegacy legacy)
    {
        var h = MemoryMarshal.Read<NmReqHeader>(message);
        var body = message[NmReqHeader.Size..];
        switch (h.RequestType)
        {
            case RequestType.Register:
                RegisterToLegacy(MemoryMarshal.Read<NmReqRegister>(body), ref legacy);
                break;
            case RequestType.ValeAttach:
                RegisterToLegacy(MemoryMarshal.Read<NmReqValeAttach>(body).Register, ref legacy);
                break;
            case RequestType.PortInfoGet:
            {
                var i = MemoryMarshal.Read<NmReqPortInfoGet>(body);
                legacy.MemSize = (uint)i.MemSize;
                legacy.TxSlots = i.TxSlots; legacy.RxSlots = i.RxSlots;
                legacy.TxRings = i.TxRings; legacy.RxRings = i.RxRings;
                legacy.Arg2 = i.MemId;
                break;
            }
            case RequestType.ValeList:
            {
                var l = MemoryMarshal.Read<NmReqValeList>(body);
                ReadOnlySpan<byte> name = h.Name;
                Span<byte> legacyName = legacy.Name;
                legacyName.Clear();
                int len = name.IndexOf((byte)0);
                if (len < 0) len = name.Length;
                name[..Math.Min(len, legacyName.Length - 1)].CopyTo(legacyName);
                legacy.Arg1 = l.BridgeIndex;
                legacy.Arg2 = (ushort)l.PortIndex;
                break;
            }
            case RequestType.PortHeaderSet or RequestType.PortHeaderGet:
                legacy.Arg1 = (ushort)MemoryMarshal.Read<NmReqPortHeader>(body).HeaderLength;
                break;
            case RequestType.ValeNewInterface:
            {
                var n = MemoryMarshal.Read<NmReqValeNewInterface>(body);
                legacy.TxSlots = n.TxSlots; legacy.RxSlots = n.RxSlots;
                legacy.TxRings = n.TxRings; legacy.RxRings = n.RxRings;
                legacy.Arg2 = n.MemId;
                break;
            }
        }
    }

    private static void RegisterToLegacy(in NmReqRegister r, ref NmReqLegacy legacy)
    {
        legacy.Offset = (uint)r.Offset;
        legacy.MemSize = (uint)r.MemSize;
        legacy.TxSlots = r.TxSlots; legacy.RxSlots = r.RxSlots;
        legacy.TxRings = r.TxRings; legacy.RxRings = r.RxRings;
        legacy.Arg2 = r.MemId;
        legacy.Arg3 = r.ExtraBufs;
    }
}
