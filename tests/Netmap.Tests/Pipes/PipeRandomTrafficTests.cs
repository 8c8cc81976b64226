using System.Diagnostics;
using Netmap.Abi;
using Netmap.Api;

namespace Netmap.Tests.Pipes;

/// <summary>
/// Byte-exact transfer of random-length frames (1 B .. 10 KB, up to 5 slots) in both directions at once:
/// Inject on one side, reassembly by NS_MOREFRAG on the other, with syncs interleaved at random.
/// </summary>
public class PipeRandomTrafficTests
{
    private const int MaxFrame = 10 * 1024;

    /// <summary>The frame numbered <paramref name="seq"/> of a stream: its length and bytes follow from (stream, seq) alone.</summary>
    private static byte[] Frame(int stream, int seq)
    {
        var rng = new Random(stream * 1_000_003 + seq);
        var f = new byte[rng.Next(1, MaxFrame + 1)];
        rng.NextBytes(f);
        BitConverter.TryWriteBytes(f.AsSpan(0, Math.Min(4, f.Length)), seq);
        return f;
    }

    /// <summary>Reassembles frames from consecutive slots and checks each against the expected one.</summary>
    private sealed class Reassembler(int stream)
    {
        private readonly List<byte> _partial = new();
        public int Received { get; private set; }

        public void Add(ReadOnlySpan<byte> fragment, SlotFlags flags)
        {
            _partial.AddRange(fragment.ToArray());
            if ((flags & SlotFlags.MoreFragments) != 0)
            {
                Assert.True(_partial.Count < MaxFrame, $"stream {stream}: frame {Received} runs past {MaxFrame} bytes");
                return;
            }
            var expected = Frame(stream, Received);
            Assert.True(expected.AsSpan().SequenceEqual(_partial.ToArray()), $"stream {stream}: frame {Received} differs (got {_partial.Count} bytes, want {expected.Length})");
            _partial.Clear();
            Received++;
        }

        public int Drain(NetmapPort port)
        {
            int n = 0;
            while (port.NextPacket(out var f, out var flags)) { Add(f, flags); n++; }
            return n;
        }
    }

    [Fact]
    public void RandomFrames_BothDirections_InterleavedSyncs_ArriveByteExactAndInOrder()
    {
        using var p = new PipePair("rnd", suffix: "@conf:slots=64");
        const int Frames = 3000;
        var rng = new Random(20240611);
        var ends = new[] { p.Master, p.Slave };
        var sent = new int[2];
        var rx = new[] { new Reassembler(1), new Reassembler(0) }; // rx[i] receives what ends[1 - i] sends

        int guard = 0;
        while ((rx[0].Received < Frames || rx[1].Received < Frames) && guard++ < 1_000_000)
        {
            int side = rng.Next(2);
            var port = ends[side];
            switch (rng.Next(4))
            {
                case 0: // a burst of sends
                    for (int k = rng.Next(1, 12); k > 0 && sent[side] < Frames; k--)
                    {
                        if (!port.Inject(Frame(side, sent[side]))) break;
                        sent[side]++;
                    }
                    break;
                case 1:
                    Assert.True(port.TxSync());
                    break;
                case 2:
                    Assert.True(port.RxSync());
                    break;
                default: // consume some (maybe stopping in the middle of a frame), then maybe release
                    int take = rng.Next(1, 20);
                    while (take-- > 0 && port.NextPacket(out var f, out var flags)) rx[side].Add(f, flags);
                    if (rng.Next(2) == 0) Assert.True(port.RxSync());
                    break;
            }
        }
        Assert.Equal(Frames, rx[0].Received);
        Assert.Equal(Frames, rx[1].Received);
        Assert.Equal(0, p.Engine.DoubleFrees);
    }

    [Fact]
    public void RandomFrames_OneThreadPerEnd_WaitingWithPoll_ArriveByteExact()
    {
        using var p = new PipePair("thr", suffix: "@conf:slots=128");
        const int Frames = 4000;
        var errors = new List<Exception>();

        void Run(NetmapPort port, int myStream, int peerStream)
        {
            try
            {
                var rx = new Reassembler(peerStream);
                int sent = 0;
                var sw = Stopwatch.StartNew();
                while (sent < Frames || rx.Received < Frames)
                {
                    Assert.True(sw.Elapsed < TimeSpan.FromSeconds(30), $"stream {myStream}: stuck at sent {sent}, received {rx.Received}");
                    while (sent < Frames && port.Inject(Frame(myStream, sent))) sent++;
                    Assert.True(port.TxSync());
                    Assert.True(port.RxSync());
                    if (rx.Drain(port) > 0) { Assert.True(port.RxSync()); continue; }
                    var want = PollEvents.In;
                    if (sent < Frames)
                    {
                        // Not enough room for the next frame: cur = tail asks to be woken when tail moves on.
                        var tx = port.TxRings[0];
                        tx.Cur = tx.Tail;
                        want |= PollEvents.Out;
                    }
                    var ev = port.Poll(want, 200);
                    Assert.False(ev.HasFlag(PollEvents.Error));
                }
                // Let the peer finish reading what we sent: flush once more.
                Assert.True(port.TxSync());
            }
            catch (Exception e) { lock (errors) errors.Add(e); }
        }

        var a = new Thread(() => Run(p.Master, 0, 1)) { IsBackground = true };
        var b = new Thread(() => Run(p.Slave, 1, 0)) { IsBackground = true };
        a.Start(); b.Start();
        Assert.True(a.Join(TimeSpan.FromSeconds(40)), "master thread did not finish");
        Assert.True(b.Join(TimeSpan.FromSeconds(40)), "slave thread did not finish");
        Assert.Empty(errors);
        Assert.Equal(0, p.Engine.DoubleFrees);
    }
}
