using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using Netmap.Abi;
using Netmap.Tests.Infrastructure;

namespace Netmap.Tests.Abi;

/// <summary>
/// The structs and constants C programs share with us (spec sections 1 and 2): every size, every field offset and
/// width, every constant, as gcc prints them on x86_64 Linux.
/// </summary>
public class AbiLayoutTests
{
    // ------------------------------------------------------------ sizes

    public static TheoryData<Type, int> StructSizes => new()
    {
        { typeof(NetmapSlot), 16 },
        { typeof(NetmapRingHeader), 256 },
        { typeof(NetmapIfHeader), 56 },
        { typeof(NmReqHeader), 88 },
        { typeof(NmReqOption), 24 },
        { typeof(NmReqRegister), 56 },
        { typeof(NmReqPortInfoGet), 32 },
        { typeof(NmReqPoolsInfo), 64 },
        { typeof(NmReqValeAttach), 64 },
        { typeof(NmReqValeDetach), 8 },
        { typeof(NmReqValeList), 8 },
        { typeof(NmReqPortHeader), 8 },
        { typeof(NmReqValeNewInterface), 16 },
        { typeof(NmReqValePolling), 16 },
        { typeof(NmReqSyncKloopStart), 8 },
        { typeof(NmReqOptExtMem), 96 },
        { typeof(NmReqOptOffsets), 56 },
        { typeof(NmReqOptCsb), 40 },
        { typeof(NmReqOptSyncKloopMode), 32 },
        { typeof(NmCsbAtok), 64 },
        { typeof(NmCsbKtoa), 64 },
        { typeof(NmReqLegacy), 60 },
        { typeof(InterfaceName), 16 },
        { typeof(RequestName), 64 },
    };

    [Theory]
    [MemberData(nameof(StructSizes))]
    public void Struct_HasNetmapSize_InManagedAndMarshalledLayout(Type type, int size)
    {
        Assert.Equal(size, ManagedSize(type));
        if (type != typeof(InterfaceName) && type != typeof(RequestName) && type != typeof(NetmapIfHeader)
            && type != typeof(NmReqHeader) && type != typeof(NmReqLegacy))
            Assert.Equal(size, Marshal.SizeOf(type)); // inline arrays are not marshallable; the others must agree
    }

    [Fact]
    public void SizeConstants_MatchTheStructs()
    {
        Assert.Equal(NetmapSlot.Size, Unsafe.SizeOf<NetmapSlot>());
        Assert.Equal(NetmapRingHeader.Size, Unsafe.SizeOf<NetmapRingHeader>());
        Assert.Equal(NetmapIfHeader.Size, Unsafe.SizeOf<NetmapIfHeader>());
        Assert.Equal(NmReqHeader.Size, Unsafe.SizeOf<NmReqHeader>());
        Assert.Equal(NmReqOption.HeaderSize, Unsafe.SizeOf<NmReqOption>());
        Assert.Equal(NmReqRegister.Size, Unsafe.SizeOf<NmReqRegister>());
        Assert.Equal(NmReqPortInfoGet.Size, Unsafe.SizeOf<NmReqPortInfoGet>());
        Assert.Equal(NmReqPoolsInfo.Size, Unsafe.SizeOf<NmReqPoolsInfo>());
        Assert.Equal(NmReqValeAttach.Size, Unsafe.SizeOf<NmReqValeAttach>());
        Assert.Equal(NmReqValeDetach.Size, Unsafe.SizeOf<NmReqValeDetach>());
        Assert.Equal(NmReqValeList.Size, Unsafe.SizeOf<NmReqValeList>());
        Assert.Equal(NmReqPortHeader.Size, Unsafe.SizeOf<NmReqPortHeader>());
        Assert.Equal(NmReqValeNewInterface.Size, Unsafe.SizeOf<NmReqValeNewInterface>());
        Assert.Equal(NmReqValePolling.Size, Unsafe.SizeOf<NmReqValePolling>());
        Assert.Equal(NmReqSyncKloopStart.Size, Unsafe.SizeOf<NmReqSyncKloopStart>());
        Assert.Equal(NmReqOptExtMem.Size, Unsafe.SizeOf<NmReqOptExtMem>());
        Assert.Equal(NmReqOptOffsets.Size, Unsafe.SizeOf<NmReqOptOffsets>());
        Assert.Equal(NmReqOptCsb.Size, Unsafe.SizeOf<NmReqOptCsb>());
        Assert.Equal(NmReqOptSyncKloopMode.Size, Unsafe.SizeOf<NmReqOptSyncKloopMode>());
        Assert.Equal(NmCsbAtok.Size, Unsafe.SizeOf<NmCsbAtok>());
        Assert.Equal(NmCsbKtoa.Size, Unsafe.SizeOf<NmCsbKtoa>());
        Assert.Equal(NmReqLegacy.Size, Unsafe.SizeOf<NmReqLegacy>());

        Assert.Equal(20, NetmapRingHeader.OffsetOfHead);
        Assert.Equal(24, NetmapRingHeader.OffsetOfCur);
        Assert.Equal(28, NetmapRingHeader.OffsetOfTail);
        Assert.Equal(128, NetmapRingHeader.OffsetOfSem);
        Assert.Equal(256, NetmapRingHeader.OffsetOfSlots);
        Assert.Equal(256 + 16 * 100L, NetmapRingHeader.ObjectSize(100));
        Assert.Equal(56, NetmapIfHeader.OffsetOfRingOfs);
        Assert.Equal(32, NetmapIfHeader.OffsetOfBufsHead);
        Assert.Equal(56 + 8 * 6, NetmapIfHeader.ObjectSize(6));
    }

    // ------------------------------------------------------------ offsets

    /// <summary>(struct, field, offset, width in bytes) for every field of every ABI struct.</summary>
    public static TheoryData<Type, string, int, int> Fields => new()
    {
        { typeof(NetmapSlot), nameof(NetmapSlot.BufferIndex), 0, 4 },
        { typeof(NetmapSlot), nameof(NetmapSlot.Length), 4, 2 },
        { typeof(NetmapSlot), nameof(NetmapSlot.Flags), 6, 2 },
        { typeof(NetmapSlot), nameof(NetmapSlot.Ptr), 8, 8 },

        { typeof(NetmapRingHeader), nameof(NetmapRingHeader.BufOfs), 0, 8 },
        { typeof(NetmapRingHeader), nameof(NetmapRingHeader.NumSlots), 8, 4 },
        { typeof(NetmapRingHeader), nameof(NetmapRingHeader.BufferSize), 12, 4 },
        { typeof(NetmapRingHeader), nameof(NetmapRingHeader.RingId), 16, 2 },
        { typeof(NetmapRingHeader), nameof(NetmapRingHeader.Direction), 18, 2 },
        { typeof(NetmapRingHeader), nameof(NetmapRingHeader.Head), 20, 4 },
        { typeof(NetmapRingHeader), nameof(NetmapRingHeader.Cur), 24, 4 },
        { typeof(NetmapRingHeader), nameof(NetmapRingHeader.Tail), 28, 4 },
        { typeof(NetmapRingHeader), nameof(NetmapRingHeader.Flags), 32, 4 },
        { typeof(NetmapRingHeader), nameof(NetmapRingHeader.TsSec), 40, 8 },
        { typeof(NetmapRingHeader), nameof(NetmapRingHeader.TsUsec), 48, 8 },
        { typeof(NetmapRingHeader), nameof(NetmapRingHeader.OffsetMask), 56, 8 },
        { typeof(NetmapRingHeader), nameof(NetmapRingHeader.BufAlign), 64, 8 },

        { typeof(NetmapIfHeader), nameof(NetmapIfHeader.Name), 0, 16 },
        { typeof(NetmapIfHeader), nameof(NetmapIfHeader.Version), 16, 4 },
        { typeof(NetmapIfHeader), nameof(NetmapIfHeader.Flags), 20, 4 },
        { typeof(NetmapIfHeader), nameof(NetmapIfHeader.TxRings), 24, 4 },
        { typeof(NetmapIfHeader), nameof(NetmapIfHeader.RxRings), 28, 4 },
        { typeof(NetmapIfHeader), nameof(NetmapIfHeader.BufsHead), 32, 4 },
        { typeof(NetmapIfHeader), nameof(NetmapIfHeader.HostTxRings), 36, 4 },
        { typeof(NetmapIfHeader), nameof(NetmapIfHeader.HostRxRings), 40, 4 },

        { typeof(NmReqHeader), nameof(NmReqHeader.Version), 0, 2 },
        { typeof(NmReqHeader), nameof(NmReqHeader.RequestType), 2, 2 },
        { typeof(NmReqHeader), nameof(NmReqHeader.Reserved), 4, 4 },
        { typeof(NmReqHeader), nameof(NmReqHeader.Name), 8, 64 },
        { typeof(NmReqHeader), nameof(NmReqHeader.Options), 72, 8 },
        { typeof(NmReqHeader), nameof(NmReqHeader.Body), 80, 8 },

        { typeof(NmReqOption), nameof(NmReqOption.Next), 0, 8 },
        { typeof(NmReqOption), nameof(NmReqOption.Type), 8, 4 },
        { typeof(NmReqOption), nameof(NmReqOption.Status), 12, 4 },
        { typeof(NmReqOption), nameof(NmReqOption.Size), 16, 8 },

        { typeof(NmReqRegister), nameof(NmReqRegister.Offset), 0, 8 },
        { typeof(NmReqRegister), nameof(NmReqRegister.MemSize), 8, 8 },
        { typeof(NmReqRegister), nameof(NmReqRegister.TxSlots), 16, 4 },
        { typeof(NmReqRegister), nameof(NmReqRegister.RxSlots), 20, 4 },
        { typeof(NmReqRegister), nameof(NmReqRegister.TxRings), 24, 2 },
        { typeof(NmReqRegister), nameof(NmReqRegister.RxRings), 26, 2 },
        { typeof(NmReqRegister), nameof(NmReqRegister.HostTxRings), 28, 2 },
        { typeof(NmReqRegister), nameof(NmReqRegister.HostRxRings), 30, 2 },
        { typeof(NmReqRegister), nameof(NmReqRegister.MemId), 32, 2 },
        { typeof(NmReqRegister), nameof(NmReqRegister.RingId), 34, 2 },
        { typeof(NmReqRegister), nameof(NmReqRegister.Mode), 36, 4 },
        { typeof(NmReqRegister), nameof(NmReqRegister.ExtraBufs), 40, 4 },
        { typeof(NmReqRegister), nameof(NmReqRegister.Flags), 48, 8 },

        { typeof(NmReqPortInfoGet), nameof(NmReqPortInfoGet.MemSize), 0, 8 },
        { typeof(NmReqPortInfoGet), nameof(NmReqPortInfoGet.TxSlots), 8, 4 },
        { typeof(NmReqPortInfoGet), nameof(NmReqPortInfoGet.RxSlots), 12, 4 },
        { typeof(NmReqPortInfoGet), nameof(NmReqPortInfoGet.TxRings), 16, 2 },
        { typeof(NmReqPortInfoGet), nameof(NmReqPortInfoGet.RxRings), 18, 2 },
        { typeof(NmReqPortInfoGet), nameof(NmReqPortInfoGet.HostTxRings), 20, 2 },
        { typeof(NmReqPortInfoGet), nameof(NmReqPortInfoGet.HostRxRings), 22, 2 },
        { typeof(NmReqPortInfoGet), nameof(NmReqPortInfoGet.MemId), 24, 2 },

        { typeof(NmReqPoolsInfo), nameof(NmReqPoolsInfo.MemSize), 0, 8 },
        { typeof(NmReqPoolsInfo), nameof(NmReqPoolsInfo.MemId), 8, 2 },
        { typeof(NmReqPoolsInfo), nameof(NmReqPoolsInfo.IfPoolOffset), 16, 8 },
        { typeof(NmReqPoolsInfo), nameof(NmReqPoolsInfo.IfPoolObjTotal), 24, 4 },
        { typeof(NmReqPoolsInfo), nameof(NmReqPoolsInfo.IfPoolObjSize), 28, 4 },
        { typeof(NmReqPoolsInfo), nameof(NmReqPoolsInfo.RingPoolOffset), 32, 8 },
        { typeof(NmReqPoolsInfo), nameof(NmReqPoolsInfo.RingPoolObjTotal), 40, 4 },
        { typeof(NmReqPoolsInfo), nameof(NmReqPoolsInfo.RingPoolObjSize), 44, 4 },
        { typeof(NmReqPoolsInfo), nameof(NmReqPoolsInfo.BufPoolOffset), 48, 8 },
        { typeof(NmReqPoolsInfo), nameof(NmReqPoolsInfo.BufPoolObjTotal), 56, 4 },
        { typeof(NmReqPoolsInfo), nameof(NmReqPoolsInfo.BufPoolObjSize), 60, 4 },

        { typeof(NmReqValeAttach), nameof(NmReqValeAttach.Register), 0, 56 },
        { typeof(NmReqValeAttach), nameof(NmReqValeAttach.PortIndex), 56, 4 },
        { typeof(NmReqValeDetach), nameof(NmReqValeDetach.PortIndex), 0, 4 },
        { typeof(NmReqValeList), nameof(NmReqValeList.BridgeIndex), 0, 2 },
        { typeof(NmReqValeList), nameof(NmReqValeList.PortIndex), 4, 4 },
        { typeof(NmReqPortHeader), nameof(NmReqPortHeader.HeaderLength), 0, 4 },

        { typeof(NmReqValeNewInterface), nameof(NmReqValeNewInterface.TxSlots), 0, 4 },
        { typeof(NmReqValeNewInterface), nameof(NmReqValeNewInterface.RxSlots), 4, 4 },
        { typeof(NmReqValeNewInterface), nameof(NmReqValeNewInterface.TxRings), 8, 2 },
        { typeof(NmReqValeNewInterface), nameof(NmReqValeNewInterface.RxRings), 10, 2 },
        { typeof(NmReqValeNewInterface), nameof(NmReqValeNewInterface.MemId), 12, 2 },

        { typeof(NmReqValePolling), nameof(NmReqValePolling.Mode), 0, 4 },
        { typeof(NmReqValePolling), nameof(NmReqValePolling.FirstCpuId), 4, 4 },
        { typeof(NmReqValePolling), nameof(NmReqValePolling.NumPollingCpus), 8, 4 },

        { typeof(NmReqSyncKloopStart), nameof(NmReqSyncKloopStart.SleepUs), 0, 4 },

        { typeof(NmReqOptExtMem), nameof(NmReqOptExtMem.Option), 0, 24 },
        { typeof(NmReqOptExtMem), nameof(NmReqOptExtMem.UserPtr), 24, 8 },
        { typeof(NmReqOptExtMem), nameof(NmReqOptExtMem.Info), 32, 64 },

        { typeof(NmReqOptOffsets), nameof(NmReqOptOffsets.Option), 0, 24 },
        { typeof(NmReqOptOffsets), nameof(NmReqOptOffsets.MaxOffset), 24, 8 },
        { typeof(NmReqOptOffsets), nameof(NmReqOptOffsets.InitialOffset), 32, 8 },
        { typeof(NmReqOptOffsets), nameof(NmReqOptOffsets.OffsetBits), 40, 4 },
        { typeof(NmReqOptOffsets), nameof(NmReqOptOffsets.TxAlign), 44, 4 },
        { typeof(NmReqOptOffsets), nameof(NmReqOptOffsets.MinGap), 48, 8 },

        { typeof(NmReqOptCsb), nameof(NmReqOptCsb.Option), 0, 24 },
        { typeof(NmReqOptCsb), nameof(NmReqOptCsb.CsbAtok), 24, 8 },
        { typeof(NmReqOptCsb), nameof(NmReqOptCsb.CsbKtoa), 32, 8 },

        { typeof(NmReqOptSyncKloopMode), nameof(NmReqOptSyncKloopMode.Option), 0, 24 },
        { typeof(NmReqOptSyncKloopMode), nameof(NmReqOptSyncKloopMode.Mode), 24, 4 },

        { typeof(NmCsbAtok), nameof(NmCsbAtok.Head), 0, 4 },
        { typeof(NmCsbAtok), nameof(NmCsbAtok.Cur), 4, 4 },
        { typeof(NmCsbAtok), nameof(NmCsbAtok.ApplNeedKick), 8, 4 },
        { typeof(NmCsbAtok), nameof(NmCsbAtok.SyncFlags), 12, 4 },
        { typeof(NmCsbKtoa), nameof(NmCsbKtoa.HwCur), 0, 4 },
        { typeof(NmCsbKtoa), nameof(NmCsbKtoa.HwTail), 4, 4 },
        { typeof(NmCsbKtoa), nameof(NmCsbKtoa.KernNeedKick), 8, 4 },

        { typeof(NmReqLegacy), nameof(NmReqLegacy.Name), 0, 16 },
        { typeof(NmReqLegacy), nameof(NmReqLegacy.Version), 16, 4 },
        { typeof(NmReqLegacy), nameof(NmReqLegacy.Offset), 20, 4 },
        { typeof(NmReqLegacy), nameof(NmReqLegacy.MemSize), 24, 4 },
        { typeof(NmReqLegacy), nameof(NmReqLegacy.TxSlots), 28, 4 },
        { typeof(NmReqLegacy), nameof(NmReqLegacy.RxSlots), 32, 4 },
        { typeof(NmReqLegacy), nameof(NmReqLegacy.TxRings), 36, 2 },
        { typeof(NmReqLegacy), nameof(NmReqLegacy.RxRings), 38, 2 },
        { typeof(NmReqLegacy), nameof(NmReqLegacy.RingId), 40, 2 },
        { typeof(NmReqLegacy), nameof(NmReqLegacy.Cmd), 42, 2 },
        { typeof(NmReqLegacy), nameof(NmReqLegacy.Arg1), 44, 2 },
        { typeof(NmReqLegacy), nameof(NmReqLegacy.Arg2), 46, 2 },
        { typeof(NmReqLegacy), nameof(NmReqLegacy.Arg3), 48, 4 },
        { typeof(NmReqLegacy), nameof(NmReqLegacy.Flags), 52, 4 },
        { typeof(NmReqLegacy), nameof(NmReqLegacy.Spare), 56, 4 },
    };

    [Theory]
    [MemberData(nameof(Fields))]
    public void Field_SitsAtNetmapOffset_WithNetmapWidth(Type type, string field, int offset, int width)
    {
        var f = type.GetField(field, BindingFlags.Public | BindingFlags.Instance);
        Assert.NotNull(f);
        var attr = f!.GetCustomAttribute<FieldOffsetAttribute>();
        Assert.NotNull(attr);
        Assert.Equal(offset, attr!.Value);
        Assert.Equal(width, ManagedSize(f.FieldType));
        if (!IsInlineArray(f.FieldType) && !ContainsInlineArray(type))
            Assert.Equal(offset, (int)Marshal.OffsetOf(type, field));
    }

    [Fact]
    public void FieldTable_CoversEveryPublicFieldOfEveryAbiStruct()
    {
        var listed = Fields.Select(row => ((Type)row[0], (string)row[1])).ToHashSet();
        foreach (var row in StructSizes)
        {
            var type = (Type)row[0];
            if (IsInlineArray(type)) continue;
            foreach (var f in type.GetFields(BindingFlags.Public | BindingFlags.Instance))
                Assert.True(listed.Contains((type, f.Name)), $"{type.Name}.{f.Name} has no expected offset in the table");
        }
    }

    [Fact]
    public void Fields_DoNotOverlap_AndStayInsideTheirStruct()
    {
        foreach (var group in Fields.Select(r => ((Type)r[0], (int)r[2], (int)r[3])).GroupBy(r => r.Item1))
        {
            int size = ManagedSize(group.Key);
            int end = 0;
            foreach (var (_, off, width) in group.OrderBy(r => r.Item2))
            {
                Assert.True(off >= end, $"{group.Key.Name}: field at {off} overlaps the previous one ending at {end}");
                end = off + width;
                Assert.True(end <= size, $"{group.Key.Name}: field at {off} runs past the struct");
            }
        }
    }

    [Fact]
    public void NetmapRingHeader_WritesHeadCurTailAndTimestamp_AtTheirByteOffsets()
    {
        var h = new NetmapRingHeader { Head = 0x11111111, Cur = 0x22222222, Tail = 0x33333333, TsSec = 0x4444, TsUsec = 0x5555, BufAlign = 0x66 };
        Span<byte> b = MemoryMarshal.AsBytes(new Span<NetmapRingHeader>(ref h));
        Assert.Equal(0x11111111u, BitConverter.ToUInt32(b[20..]));
        Assert.Equal(0x22222222u, BitConverter.ToUInt32(b[24..]));
        Assert.Equal(0x33333333u, BitConverter.ToUInt32(b[28..]));
        Assert.Equal(0x4444L, BitConverter.ToInt64(b[40..]));
        Assert.Equal(0x5555L, BitConverter.ToInt64(b[48..]));
        Assert.Equal(0x66UL, BitConverter.ToUInt64(b[64..]));
        Assert.True(b[128..].ToArray().All(x => x == 0), "sem (128..255) is untouched");
    }

    [Fact]
    public void NmReqHeader_NameIsSixtyFourBytesAtOffsetEight_AndSetNameRefusesSixtyFourChars()
    {
        var h = new NmReqHeader();
        Assert.True(h.TrySetName("pipe{1"));
        Span<byte> b = MemoryMarshal.AsBytes(new Span<NmReqHeader>(ref h));
        Assert.Equal((byte)'p', b[8]);
        Assert.Equal((byte)'1', b[13]);
        Assert.Equal(0, b[14]);
        Assert.Equal("pipe{1", h.GetName());
        Assert.True(h.TrySetName(new string('a', 63)));
        Assert.False(h.TrySetName(new string('a', 64)));
        Assert.Equal(new string('a', 63), h.GetName());
    }

    // ------------------------------------------------------------ constants (spec section 2)

    [Fact]
    public void SlotFlags_HaveNetmapValues()
    {
        Assert.Equal(0x0001, (ushort)SlotFlags.BufferChanged);
        Assert.Equal(0x0002, (ushort)SlotFlags.Report);
        Assert.Equal(0x0004, (ushort)SlotFlags.Forward);
        Assert.Equal(0x0008, (ushort)SlotFlags.NoLearn);
        Assert.Equal(0x0010, (ushort)SlotFlags.Indirect);
        Assert.Equal(0x0020, (ushort)SlotFlags.MoreFragments);
        Assert.Equal(0x0040, (ushort)SlotFlags.TxMonitor);
        Assert.Equal(0xff00, (ushort)SlotFlags.PortMask);
        Assert.Equal(8, NetmapConstants.SlotPortShift);
        Assert.Equal(64, NetmapConstants.MaxFragments);
        Assert.Equal(typeof(ushort), Enum.GetUnderlyingType(typeof(SlotFlags)));
    }

    [Fact]
    public void RingAndInterfaceFlags_HaveNetmapValues()
    {
        Assert.Equal(0x2u, (uint)RingFlags.Timestamp);
        Assert.Equal(0x4u, (uint)RingFlags.Forward);
        Assert.Equal(0x1u, (uint)InterfaceFlags.PrivateMemory);
    }

    [Fact]
    public void RegisterModes_HaveNetmapValues()
    {
        Assert.Equal(0u, (uint)RegisterMode.Default);
        Assert.Equal(1u, (uint)RegisterMode.AllNic);
        Assert.Equal(2u, (uint)RegisterMode.Software);
        Assert.Equal(3u, (uint)RegisterMode.NicAndSoftware);
        Assert.Equal(4u, (uint)RegisterMode.OneNic);
        Assert.Equal(5u, (uint)RegisterMode.PipeMaster);
        Assert.Equal(6u, (uint)RegisterMode.PipeSlave);
        Assert.Equal(7u, (uint)RegisterMode.Null);
        Assert.Equal(8u, (uint)RegisterMode.OneSoftware);
        Assert.Equal(9, Enum.GetValues<RegisterMode>().Length);
        Assert.Equal(0xfu, NetmapConstants.RegisterModeMask);
    }

    [Fact]
    public void RegisterFlags_HaveNetmapValues()
    {
        Assert.Equal(0x100UL, (ulong)RegisterFlags.MonitorTx);
        Assert.Equal(0x200UL, (ulong)RegisterFlags.MonitorRx);
        Assert.Equal(0x400UL, (ulong)RegisterFlags.ZeroCopyMonitor);
        Assert.Equal(0x800UL, (ulong)RegisterFlags.Exclusive);
        Assert.Equal(0x2000UL, (ulong)RegisterFlags.RxRingsOnly);
        Assert.Equal(0x4000UL, (ulong)RegisterFlags.TxRingsOnly);
        Assert.Equal(0x8000UL, (ulong)RegisterFlags.AcceptVnetHeader);
        Assert.Equal(0x10000UL, (ulong)RegisterFlags.DoRxPoll);
        Assert.Equal(0x20000UL, (ulong)RegisterFlags.NoTxPoll);
        Assert.DoesNotContain(Enum.GetValues<RegisterFlags>(), f => (ulong)f == 0x1000); // unused in netmap
        Assert.Equal(typeof(ulong), Enum.GetUnderlyingType(typeof(RegisterFlags)));
    }

    [Fact]
    public void LegacyRingIdBits_HaveNetmapValues()
    {
        Assert.Equal(0x0fff, NetmapConstants.RingMask);
        Assert.Equal(0x1000, NetmapConstants.NoTxPollBit);
        Assert.Equal(0x2000, NetmapConstants.SoftwareRingBit);
        Assert.Equal(0x4000, NetmapConstants.HardwareRingBit);
        Assert.Equal(0x8000, NetmapConstants.DoRxPollBit);
    }

    [Fact]
    public void RequestTypes_HaveNetmapValues()
    {
        Assert.Equal(1, (ushort)RequestType.Register);
        Assert.Equal(2, (ushort)RequestType.PortInfoGet);
        Assert.Equal(3, (ushort)RequestType.ValeAttach);
        Assert.Equal(4, (ushort)RequestType.ValeDetach);
        Assert.Equal(5, (ushort)RequestType.ValeList);
        Assert.Equal(6, (ushort)RequestType.PortHeaderSet);
        Assert.Equal(7, (ushort)RequestType.PortHeaderGet);
        Assert.Equal(8, (ushort)RequestType.ValeNewInterface);
        Assert.Equal(9, (ushort)RequestType.ValeDeleteInterface);
        Assert.Equal(10, (ushort)RequestType.ValePollingEnable);
        Assert.Equal(11, (ushort)RequestType.ValePollingDisable);
        Assert.Equal(12, (ushort)RequestType.PoolsInfoGet);
        Assert.Equal(13, (ushort)RequestType.SyncKloopStart);
        Assert.Equal(14, (ushort)RequestType.SyncKloopStop);
        Assert.Equal(15, (ushort)RequestType.CsbEnable);
        Assert.Equal(0x4E01, (ushort)RequestType.ValePortStatsGet); // our extensions, far from netmap's range
        Assert.Equal(0x4E02, (ushort)RequestType.SessionRegistrationGet);
        Assert.Equal(0x4E03, (ushort)RequestType.SessionSync);
        Assert.Equal(0x4E04, (ushort)RequestType.LegacyRegIf);
        Assert.Equal(0x4E05, (ushort)RequestType.LegacyGetInfo);
        Assert.Equal(20, Enum.GetValues<RequestType>().Length);
        Assert.Equal(NmReqSessionSync.Size, System.Runtime.InteropServices.Marshal.SizeOf<NmReqSessionSync>()); // native/interposer/abi.h asserts 16 too
    }

    [Fact]
    public void OptionTypes_HaveNetmapValues()
    {
        Assert.Equal(1u, (uint)OptionType.ExtMem);
        Assert.Equal(2u, (uint)OptionType.SyncKloopEventFds);
        Assert.Equal(3u, (uint)OptionType.Csb);
        Assert.Equal(4u, (uint)OptionType.SyncKloopMode);
        Assert.Equal(5u, (uint)OptionType.Offsets);
        Assert.Equal(6u, (uint)OptionType.Max);
        Assert.Equal(4096, NetmapConstants.RequestMaxSize);
        Assert.Equal(64, NetmapConstants.RequestIfNameSize);
    }

    [Fact]
    public void ApiVersionAndAlignment_HaveNetmapValues()
    {
        Assert.Equal(14, NetmapConstants.Api);
        Assert.Equal(14, NetmapConstants.MinApi);
        Assert.Equal(15, NetmapConstants.MaxApi);
        Assert.Equal(128, NetmapConstants.CacheAlign);
        Assert.Equal(16, NetmapConstants.InterfaceNameSize);
        Assert.Equal(1, NetmapConstants.GlobalMemId);
        Assert.Equal(2u, NetmapConstants.ReservedBuffers);
    }

    [Fact]
    public void PollingAndKloopModes_HaveNetmapValues()
    {
        Assert.Equal(1u, NetmapConstants.PollingModeSingleCpu);
        Assert.Equal(2u, NetmapConstants.PollingModeMultiCpu);
        Assert.Equal(1u, NetmapConstants.KloopDirectTx);
        Assert.Equal(2u, NetmapConstants.KloopDirectRx);
    }

    [Fact]
    public void IoctlNumbers_AreTheLinuxX8664Encodings()
    {
        Assert.Equal(0xC0586997u, NetmapConstants.NiocCtrl);
        Assert.Equal(0x6994u, NetmapConstants.NiocTxSync);
        Assert.Equal(0x6995u, NetmapConstants.NiocRxSync);
        Assert.Equal(0xC03C6991u, NetmapConstants.NiocGInfo);
        Assert.Equal(0xC03C6992u, NetmapConstants.NiocRegIf);
        // _IOWR('i', 151, struct nmreq_header): dir 3 << 30 | size << 16 | 'i' << 8 | nr
        Assert.Equal((3u << 30) | ((uint)NmReqHeader.Size << 16) | ('i' << 8) | 151u, NetmapConstants.NiocCtrl);
        Assert.Equal((3u << 30) | ((uint)NmReqLegacy.Size << 16) | ('i' << 8) | 146u, NetmapConstants.NiocRegIf);
    }

    [Fact]
    public void ValePipeAndMonitorLimits_HaveNetmapValues()
    {
        Assert.Equal("vale", NetmapConstants.BridgeNamePrefix);
        Assert.Equal(8, NetmapConstants.MaxBridges);
        Assert.Equal(254, NetmapConstants.BridgeMaxPorts);
        Assert.Equal(254, NetmapConstants.BridgeBroadcast);
        Assert.Equal(255, NetmapConstants.BridgeNoPort);
        Assert.Equal(1024, NetmapConstants.BridgeHashSize);
        Assert.Equal(16, NetmapConstants.BridgeMaxRings);
        Assert.Equal(4096, NetmapConstants.BridgeMaxSlots);
        Assert.Equal(1024, NetmapConstants.BridgeRingSize);
        Assert.Equal(1024, NetmapConstants.BridgeBatch);
        Assert.Equal(1088, NetmapConstants.BridgeBatchMax);
        Assert.Equal(1514, NetmapConstants.BridgeMaxFrameSize);
        Assert.Equal(256, NetmapConstants.PipeMaxRings);
        Assert.Equal(4096, NetmapConstants.PipeMaxSlots);
        Assert.Equal(64, NetmapConstants.MaxPipes);
        Assert.Equal(4096, NetmapConstants.MonitorMaxSlots);
    }

    [Fact]
    public void Errnos_UsedByTheControlPath_HaveLinuxValues()
    {
        Assert.Equal(5, (int)Errno.EIO);
        Assert.Equal(6, (int)Errno.ENXIO);
        Assert.Equal(12, (int)Errno.ENOMEM);
        Assert.Equal(14, (int)Errno.EFAULT);
        Assert.Equal(16, (int)Errno.EBUSY);
        Assert.Equal(22, (int)Errno.EINVAL);
        Assert.Equal(90, (int)Errno.EMSGSIZE);
        Assert.Equal(95, (int)Errno.EOPNOTSUPP);
    }

    // ------------------------------------------------------------ unsafe quarantine

    /// <summary>The only folders where <c>unsafe</c> and P/Invoke may appear: the library's, and the tools library's
    /// (sigaction, sched_setaffinity).</summary>
    private static readonly string[] InteropFolders = [Path.Combine("src", "Netmap", "Interop"), Path.Combine("tools", "Netmap.Tools", "Interop")];

    [Fact]
    public void UnsafeKeywordAndPInvoke_AppearOnlyInTheInteropFolders()
    {
        string root = RepositoryRoot();
        var allowed = InteropFolders.Select(f => Path.Combine(root, f) + Path.DirectorySeparatorChar).ToArray();
        var offenders = new List<string>();
        var perFolder = new int[allowed.Length];
        foreach (var top in new[] { "src", "tools", "bench", "samples", "tests" })
        {
            foreach (var file in Directory.EnumerateFiles(Path.Combine(root, top), "*.cs", SearchOption.AllDirectories))
            {
                var rel = Path.GetRelativePath(root, file);
                var parts = rel.Split(Path.DirectorySeparatorChar);
                if (parts.Contains("obj") || parts.Contains("bin")) continue;
                string code = CSharpSource.StripCommentsAndStrings(File.ReadAllText(file));
                if (!UnsafeKeyword.IsMatch(code) && !PInvoke.IsMatch(code)) continue;
                int folder = Array.FindIndex(allowed, a => file.StartsWith(a, StringComparison.Ordinal));
                if (folder >= 0) perFolder[folder]++;
                else offenders.Add(rel);
            }
        }
        Assert.True(offenders.Count == 0, "unsafe or P/Invoke outside " + string.Join(" and ", InteropFolders) + ": " + string.Join(", ", offenders));
        for (int i = 0; i < allowed.Length; i++)
            Assert.True(perFolder[i] > 0, $"the scanner found nothing in {InteropFolders[i]}, so it cannot be trusted");
    }

    [Fact]
    public void UnsafeScanner_IgnoresCommentsAndStrings_ButSeesCode()
    {
        Assert.DoesNotMatch(UnsafeKeyword, CSharpSource.StripCommentsAndStrings("// unsafe\n/* unsafe */ var s = \"unsafe\"; var v = @\"un\"\"safe unsafe\"; char c = 'u';"));
        Assert.Matches(UnsafeKeyword, CSharpSource.StripCommentsAndStrings("class A { unsafe void F() { } }"));
        Assert.Matches(UnsafeKeyword, CSharpSource.StripCommentsAndStrings("var s = \"x\"; unsafe { }"));
        Assert.DoesNotMatch(UnsafeKeyword, CSharpSource.StripCommentsAndStrings("int notunsafe_ = 1;"));
        Assert.Matches(PInvoke, CSharpSource.StripCommentsAndStrings("[LibraryImport(\"libc\")] static partial int f();"));
        Assert.DoesNotMatch(PInvoke, CSharpSource.StripCommentsAndStrings("// [DllImport(\"libc\")]"));
    }

    private static readonly Regex UnsafeKeyword = new(@"(?<![\w@])unsafe(?!\w)", RegexOptions.CultureInvariant);

    private static readonly Regex PInvoke = new(@"\[\s*(DllImport|LibraryImport)\b", RegexOptions.CultureInvariant);

    private static string RepositoryRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "Netmap.slnx"))) return d.FullName;
        throw new InvalidOperationException("Netmap.slnx not found above " + AppContext.BaseDirectory);
    }

    // ------------------------------------------------------------ helpers

    private static int ManagedSize(Type t)
        => (int)typeof(Unsafe).GetMethod(nameof(Unsafe.SizeOf))!.MakeGenericMethod(t).Invoke(null, null)!;

    private static bool IsInlineArray(Type t) => t.GetCustomAttribute<InlineArrayAttribute>() is not null;

    private static bool ContainsInlineArray(Type t)
        => t.GetFields(BindingFlags.Public | BindingFlags.Instance).Any(f => IsInlineArray(f.FieldType));
}
