using System.Buffers.Binary;
using System.Collections.Concurrent;
using Netmap.Abi;
using Netmap.Adapters.Vale;
using Netmap.Api;
using static Netmap.Tests.Vale.ValeFrames;

namespace Netmap.Tests.Vale;

/// <summary>
/// Custom forwarding decisions (spec 5, netmap_bdg_regops): <see cref="NetmapEngine.SetValeLookup"/> installs
/// an <see cref="IValeLookup"/> on a switch; its answer (a port, broadcast, drop, and the destination ring) is
/// obeyed; null restores the learning bridge with an empty table.
/// </summary>
public class ValeLookupTests
{
    /// <summary>Everything to <see cref="Port"/> (ring <see cref="Ring"/>), except <see cref="DropType"/> frames,
    /// and <see cref="BroadcastType"/> frames to everyone.</summary>
    private sealed class FixedLookup : IValeLookup
    {
        public const ushort DropType = 0x0806;
        public const ushort BroadcastType = 0x0842;
        public volatile byte Port;
        public volatile byte Ring;
        public readonly ConcurrentQueue<(byte Source, ushort Type, int Length)> Calls = new();

        public byte Lookup(ReadOnlySpan<byte> frame, byte sourcePort, ref byte destinationRing)
        {
            ushort type = BinaryPrimitives.ReadUInt16BigEndian(frame[12..]);
            Calls.Enqueue((sourcePort, type, frame.Length));
            if (type == DropType) return ValeDestination.Drop;
            if (type == BroadcastType) return ValeDestination.Broadcast;
            destinationRing = Ring;
            return Port;
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void CustomLookup_DecidesEveryFrame_NullRestoresLearning(bool daemon)
    {
        using var h = new ValeTestHost(daemon);
        var lookup = new FixedLookup();
        h.Engine.SetValeLookup("vale3", lookup);
        Assert.Equal(1, h.Engine.ValeSwitchCount); // made (persistent) by the lookup
        using var a = NetmapPort.Open("vale3:a", h.Host);
        using var b = NetmapPort.Open("vale3:b", h.Host);
        using var c = NetmapPort.Open("vale3:c", h.Host);
        lookup.Port = (byte)NetmapControl.ValeList("vale3:c", h.Host).PortIndex;
        byte aIndex = (byte)NetmapControl.ValeList("vale3:a", h.Host).PortIndex;

        var f1 = Frame(Broadcast, Mac(0xa), 80, tag: 1);       // a broadcast address: the lookup still says c
        var f2 = Frame(Mac(0xb), Mac(0xa), 81, tag: 2);        // addressed to b: c
        Send(a, f1);
        Send(a, f2);
        Send(a, Frame(Mac(0xb), Mac(0xa), 82, FixedLookup.DropType)); // dropped
        Assert.Equal([f1, f2], Receive(c, 2));
        Assert.Equal((0UL, 0UL), (Stats(h, "vale3:b").RxPackets, Stats(h, "vale3:b").RxDrops));
        Assert.Equal(1UL, Stats(h, "vale3:a").TxDrops);
        Assert.Equal([(aIndex, ValeFrames.DataType, 80), (aIndex, ValeFrames.DataType, 81), (aIndex, FixedLookup.DropType, 82)], lookup.Calls.ToArray());

        // c's own frames come back to c: the source, dropped. Broadcast by the lookup's choice reaches a and b.
        Send(c, Frame(Mac(0xa), Mac(0xc)));
        Assert.Equal(1UL, Stats(h, "vale3:c").TxDrops);
        var bc = Frame(Mac(0xa), Mac(0xc), 90, FixedLookup.BroadcastType);
        Send(c, bc);
        Assert.Equal(bc, Assert.Single(Receive(a, 1)));
        Assert.Equal(bc, Assert.Single(Receive(b, 1)));

        // An index with no port behind it drops.
        lookup.Port = 200;
        Send(a, Frame(Mac(0xb), Mac(0xa)));
        Assert.Equal(2UL, Stats(h, "vale3:a").TxDrops);

        int calls = lookup.Calls.Count;
        h.Engine.SetValeLookup("vale3", null);
        var learned = Frame(Mac(0xb), Mac(0xa), 70, tag: 3);
        Send(a, learned); // b's address was never learned (the custom lookup saw everything): flooded
        Assert.Equal(learned, Assert.Single(Receive(b, 1)));
        Assert.Equal(learned, Assert.Single(Receive(c, 1)));
        Send(b, Frame(Broadcast, Mac(0xb)));
        Send(a, learned);
        SendMarker(a, Mac(0xa));
        Assert.Equal(learned, Assert.Single(ReceiveUntilMarker(b)));
        Assert.DoesNotContain(ReceiveUntilMarker(c), f => f.AsSpan().SequenceEqual(learned));
        Assert.Equal(calls, lookup.Calls.Count); // the custom lookup is no longer asked
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void CustomLookup_ChoosesTheDestinationRing(bool daemon)
    {
        using var h = new ValeTestHost(daemon);
        var lookup = new FixedLookup { Ring = 3 }; // taken modulo the destination's 2 RX rings: ring 1
        h.Engine.SetValeLookup("vale3", lookup);
        using var a = NetmapPort.Open("vale3:a", h.Host);
        using var c = NetmapPort.Open("vale3:c@conf:rx-rings=2", h.Host);
        lookup.Port = (byte)NetmapControl.ValeList("vale3:c", h.Host).PortIndex;
        var f = Frame(Mac(0xc), Mac(0xa), 64);
        Send(a, f);
        c.RxSync();
        Assert.Equal(0u, c.RxRings[0].Space);
        Assert.Equal(1u, c.RxRings[1].Space);
        Assert.True(f.AsSpan().SequenceEqual(c.RxRings[1].Payload(c.RxRings[1].Slot(c.RxRings[1].Head))));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void SwitchMadeForALookup_StaysWhenItsPortsLeave(bool daemon)
    {
        using var h = new ValeTestHost(daemon);
        h.Engine.SetValeLookup("vale3", new FixedLookup());
        using (NetmapPort.Open("vale3:a", h.Host)) { }
        Assert.Equal(1, h.Engine.ValeSwitchCount);
        Assert.Equal(0, h.Engine.ValePortCount);
        Assert.Empty(NetmapControl.ValeListAll(h.Host));
        Assert.Equal(((ushort)0, 255u), NetmapControl.ValeList("vale3:a", h.Host));
    }

    [Fact]
    public void SetValeLookup_OnAnInvalidSwitchName_IsEINVAL()
    {
        using var h = new ValeTestHost(false);
        var e = Assert.Throws<NetmapException>(() => h.Engine.SetValeLookup("vale-x", new FixedLookup()));
        Assert.Equal(Errno.EINVAL, e.Errno);
        Assert.Equal(0, h.Engine.ValeSwitchCount);
    }

    /// <summary>Throws for frames to ...:ee, broadcasts everything else.</summary>
    private sealed class ThrowingLookup : IValeLookup
    {
        public byte Lookup(ReadOnlySpan<byte> frame, byte sourcePort, ref byte destinationRing)
            => frame[5] == 0xee ? throw new InvalidOperationException("bad plugin") : ValeDestination.Broadcast;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ALookupThatThrows_DropsThatFrameOnly_AndTheSwitchGoesOn(bool daemon)
    {
        using var h = new ValeTestHost(daemon);
        h.Engine.SetValeLookup("vale4", new ThrowingLookup());
        using var a = NetmapPort.Open("vale4:a", h.Host);
        using var b = NetmapPort.Open("vale4:b", h.Host);
        Send(a, Frame(Mac(0xee), Mac(0xa), 60, tag: 1));
        var after = Frame(Broadcast, Mac(0xa), 61, tag: 2);
        Send(a, after);
        Assert.Equal([after], Receive(b, 1));
        Assert.Equal(1UL, Stats(h, "vale4:a").TxDrops);
    }

    [Fact]
    public void SetValeLookup_RefusesNamesThatAreNotSwitches_AndNullOnAMissingSwitchCreatesNothing()
    {
        using var engine = new NetmapEngine();
        Assert.Equal(Errno.EINVAL, Assert.Throws<NetmapException>(() => engine.SetValeLookup("foo", new ThrowingLookup())).Errno);
        Assert.Equal(Errno.EINVAL, Assert.Throws<NetmapException>(() => engine.SetValeLookup("vale-x", new ThrowingLookup())).Errno);
        engine.SetValeLookup("vale7", null);
        Assert.Equal(0, engine.ValeSwitchCount);
        engine.SetValeLookup("vale7", new ThrowingLookup());
        Assert.Equal(1, engine.ValeSwitchCount); // kept for its lookup
        engine.SetValeLookup("vale7", null);
        Assert.Equal(0, engine.ValeSwitchCount); // default again and empty: gone
    }
}
