using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Netmap.Adapters.Nic.Packet;
using Netmap.Interop;

namespace Netmap.Tests.Nic.Packet;

/// <summary>The kernel structs of TPACKET_V3 as linux/if_packet.h lays them out, and the ring geometry rules.</summary>
public sealed class PacketLayoutTests
{
    [Fact]
    public void Tpacket3Header_MatchesTheKernel()
    {
        Assert.Equal(48, Unsafe.SizeOf<Tpacket3Header>());
        Assert.Equal(0, (int)Marshal.OffsetOf<Tpacket3Header>(nameof(Tpacket3Header.NextOffset)));
        Assert.Equal(12, (int)Marshal.OffsetOf<Tpacket3Header>(nameof(Tpacket3Header.SnapLen)));
        Assert.Equal(16, (int)Marshal.OffsetOf<Tpacket3Header>(nameof(Tpacket3Header.Len)));
        Assert.Equal(20, (int)Marshal.OffsetOf<Tpacket3Header>(nameof(Tpacket3Header.Status)));
        Assert.Equal(24, (int)Marshal.OffsetOf<Tpacket3Header>(nameof(Tpacket3Header.Mac)));
        Assert.Equal(32, (int)Marshal.OffsetOf<Tpacket3Header>(nameof(Tpacket3Header.VlanTci)));
        Assert.Equal(36, (int)Marshal.OffsetOf<Tpacket3Header>(nameof(Tpacket3Header.VlanTpid)));
    }

    [Fact]
    public void TpacketBlockDesc_MatchesTheKernel()
    {
        Assert.Equal(48, Unsafe.SizeOf<TpacketBlockDesc>());
        Assert.Equal(8, (int)Marshal.OffsetOf<TpacketBlockDesc>(nameof(TpacketBlockDesc.BlockStatus)));
        Assert.Equal(12, (int)Marshal.OffsetOf<TpacketBlockDesc>(nameof(TpacketBlockDesc.NumPkts)));
        Assert.Equal(16, (int)Marshal.OffsetOf<TpacketBlockDesc>(nameof(TpacketBlockDesc.OffsetToFirstPkt)));
        Assert.Equal(24, (int)Marshal.OffsetOf<TpacketBlockDesc>(nameof(TpacketBlockDesc.SeqNum)));
    }

    [Theory]
    [InlineData(2048u, 1024u, 1500)]
    [InlineData(2048u, 64u, 1500)]
    [InlineData(2048u, 4096u, 9000)]
    [InlineData(4096u, 256u, 65535)]
    public void ChosenGeometry_IsValid_AndHoldsAFullTxRing(uint bufSize, uint slots, int mtu)
    {
        var g = PacketAttachment.ChooseGeometry(bufSize, slots, slots, mtu);
        Assert.True(g.IsValid(out string why), why);
        Assert.True(g.TxFrames >= slots);
        Assert.True(g.TxMaxFrameData >= Math.Max(bufSize, (uint)mtu + 14));
        Assert.True(g.RxBytes >= Math.Min(PacketAttachment.RxRingsWorth * slots * (mtu + 14L), PacketAttachment.MaxRxBytes));
    }

    [Fact]
    public void Geometry_RejectsWhatTheKernelOrTheCursorCannotTake()
    {
        Assert.False(new TpacketGeometry(65536 + 4096, 16, 2112, 31).IsValid(out _));   // block not a power of two
        Assert.False(new TpacketGeometry(65536, 70000, 2112, 31).IsValid(out _));       // block index beyond 16 bits
        Assert.False(new TpacketGeometry(65536, 16, 2100, 31).IsValid(out _));          // frame not 16-aligned
        Assert.False(new TpacketGeometry(65536, 16, 2112, 30).IsValid(out _));          // frames do not fill blocks
        Assert.True(new TpacketGeometry(65536, 16, 2112, 31).IsValid(out string why), why);
    }
}
