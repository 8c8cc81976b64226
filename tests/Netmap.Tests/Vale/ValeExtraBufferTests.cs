using System.Buffers.Binary;
using Netmap.Abi;
using Netmap.Api;
using static Netmap.Tests.Vale.ValeFrames;

namespace Netmap.Tests.Vale;

/// <summary>
/// Extra buffers on VALE ports (spec 3, extra buffers; spec 5, NS_BUF_CHANGED): swapped into TX slots they are sent
/// like ring buffers, stay in the slot afterwards, and closing the port gives every buffer back. The port under
/// test lives in another port's region (<c>@N</c>) so that the region outlives it and its free count can be checked.
/// </summary>
public class ValeExtraBufferTests
{
    private static List<uint> ExtraList(NetmapPort port)
    {
        var list = new List<uint>();
        for (uint i = port.Interface.BufsHead; i != 0 && list.Count <= port.ExtraBuffers; i = BinaryPrimitives.ReadUInt32LittleEndian(port.Buffer(i)))
            list.Add(i);
        return list;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ExtraBuffers_SwappedIntoTxSlots_AreSent_AndEveryBufferComesBack(bool daemon)
    {
        using var h = new ValeTestHost(daemon);
        using var z = NetmapPort.Open("vale0:z@conf:slots=64", h.Host); // owns the region
        using var b = NetmapPort.Open("vale0:b", h.Host);
        ushort mem = z.MemId;
        long free0 = h.Engine.FreeBuffers(mem);
        const int N = 8;

        using (var a = NetmapPort.Open($"vale0:a@{mem}@conf:slots=64", h.Host, new NetmapPortOptions { ExtraBuffers = N }))
        {
            Assert.Equal(mem, a.MemId);
            Assert.Equal((uint)N, a.ExtraBuffers);
            Assert.Equal(free0 - 2 * 64 - N, h.Engine.FreeBuffers(mem));
            var extra = ExtraList(a);
            Assert.Equal(N, extra.Count);
            Assert.Equal(N, extra.Distinct().Count());

            var ring = a.TxRings[0];
            uint head = ring.Head;
            var displaced = new List<uint>();
            var sent = new List<byte[]>();
            for (int k = 0; k < N; k++)
            {
                ref var s = ref ring.Slot(head);
                displaced.Add(s.BufferIndex);
                var f = Frame(Mac(0xbb), Mac(0xa), 60 + k, tag: (byte)(k + 1));
                f.CopyTo(a.Buffer(extra[k]));
                s.BufferIndex = extra[k];
                s.Length = (ushort)f.Length;
                s.Flags = SlotFlags.BufferChanged;
                sent.Add(f);
                head = ring.Next(head);
            }
            uint first = ring.Head;
            ring.Head = ring.Cur = head;
            WaitTxDrained(a);

            var got = Receive(b, N);
            Assert.Equal(sent, got);
            // The TX slots keep the buffers swapped in; the switch cleared NS_BUF_CHANGED when it consumed them.
            uint j = first;
            for (int k = 0; k < N; k++, j = ring.Next(j))
            {
                Assert.Equal(extra[k], ring.Slot(j).BufferIndex);
                Assert.Equal(SlotFlags.None, ring.Slot(j).Flags & SlotFlags.BufferChanged);
            }

            // The displaced ring buffers become the extra list the engine frees at close.
            for (int k = 0; k < N; k++)
                BinaryPrimitives.WriteUInt32LittleEndian(a.Buffer(displaced[k]), k + 1 < N ? displaced[k + 1] : 0);
            a.Interface.BufsHead = displaced[0];
            Assert.Equal(free0 - 2 * 64 - N, h.Engine.FreeBuffers(mem));
        }
        Assert.True(WaitUntil(() => h.Engine.FreeBuffers(mem) == free0), $"free {h.Engine.FreeBuffers(mem)}, expected {free0}");
        Assert.Equal(0, h.Engine.DoubleFrees);

        // The port is gone and can be made again, with its extra buffers.
        using var again = NetmapPort.Open($"vale0:a@{mem}@conf:slots=64", h.Host, new NetmapPortOptions { ExtraBuffers = N });
        Assert.Equal((uint)N, again.ExtraBuffers);
        Assert.Equal(N, ExtraList(again).Count);
        Assert.Equal(free0 - 2 * 64 - N, h.Engine.FreeBuffers(mem));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void OwnRegion_IsSizedForTheExtraBuffers(bool daemon)
    {
        using var h = new ValeTestHost(daemon);
        using var a = NetmapPort.Open("vale0:a", h.Host, new NetmapPortOptions { ExtraBuffers = 6000 });
        Assert.Equal(6000u, a.ExtraBuffers);
        Assert.Equal(6000, ExtraList(a).Count);
        Assert.True(a.RxRings[0].BufferCount >= 2 + 2 * 1024 + 6000);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void SecondOpenWithExtraBuffers_ReturnsThemAtItsClose(bool daemon)
    {
        using var h = new ValeTestHost(daemon);
        using var a = NetmapPort.Open("vale0:a", h.Host);
        long free0 = h.Engine.FreeBuffers(a.MemId);
        using (var a2 = NetmapPort.Open("vale0:a", h.Host, new NetmapPortOptions { ExtraBuffers = 5 }))
        {
            Assert.Equal(a.MemId, a2.MemId);
            Assert.Equal(5u, a2.ExtraBuffers);
            Assert.Equal(free0 - 5, h.Engine.FreeBuffers(a.MemId));
        }
        Assert.True(WaitUntil(() => h.Engine.FreeBuffers(a.MemId) == free0));
        Assert.Equal(0, h.Engine.DoubleFrees);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void RxSlotSwappedWithAnExtraBuffer_IsFilledThroughTheNewBuffer(bool daemon)
    {
        using var h = new ValeTestHost(daemon);
        using var z = NetmapPort.Open("vale0:z@conf:slots=64", h.Host); // owns the region
        using var a = NetmapPort.Open("vale0:a", h.Host);
        ushort mem = z.MemId;
        long free0 = h.Engine.FreeBuffers(mem);
        using (var b = NetmapPort.Open($"vale0:b@{mem}@conf:slots=4", h.Host, new NetmapPortOptions { ExtraBuffers = 1 }))
        {
            var rx = b.RxRings[0];
            uint extra = b.Interface.BufsHead;
            var f0 = Frame(Broadcast, Mac(0xa), 100, tag: 0);
            Send(a, f0);
            b.RxSync();
            Assert.Equal(1u, rx.Space);
            // Zero-copy keep: slot 0's buffer (holding f0) becomes ours, the extra buffer goes into the ring.
            ref var s0 = ref rx.Slot(0);
            uint kept = s0.BufferIndex;
            s0.BufferIndex = extra;
            s0.Flags |= SlotFlags.BufferChanged;
            rx.Head = rx.Cur = 1;
            b.RxSync();
            Assert.Equal(SlotFlags.None, rx.Slot(0).Flags & SlotFlags.BufferChanged); // rxsync consumed the flag

            for (int i = 1; i <= 3; i++) Send(a, Frame(Broadcast, Mac(0xa), 100 + i, tag: (byte)i));
            b.RxSync();
            rx.Head = rx.Cur = 0; // slots 1..3 read and given back: the ring wraps to slot 0
            b.RxSync();
            var f4 = Frame(Broadcast, Mac(0xa), 104, tag: 4);
            Send(a, f4);
            b.RxSync();
            Assert.Equal(1u, rx.Space);
            Assert.Equal(extra, rx.Slot(0).BufferIndex);
            Assert.Equal(f4, b.Buffer(extra)[..f4.Length].ToArray());
            Assert.Equal(f0, b.Buffer(kept)[..f0.Length].ToArray()); // the kept buffer was not written again

            BinaryPrimitives.WriteUInt32LittleEndian(b.Buffer(kept), 0);
            b.Interface.BufsHead = kept; // give it back at close, as the extra list
        }
        Assert.True(WaitUntil(() => h.Engine.FreeBuffers(mem) == free0), $"free {h.Engine.FreeBuffers(mem)}, expected {free0}");
        Assert.Equal(0, h.Engine.DoubleFrees);
    }
}
