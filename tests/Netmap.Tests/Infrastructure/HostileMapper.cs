using Netmap.Abi;
using Netmap.Interop;
using Netmap.Rings;

namespace Netmap.Tests.Infrastructure;

/// <summary>
/// A second mapper of a region that attacks rings others are using, as a hostile process of the region could: on
/// its own thread it flips each target field between the value it finds and a bad one (value + 2^30, or value
/// XOR random bits) in a tight loop, putting the value it found back each time (often stale by then). Test helper.
/// </summary>
internal sealed class HostileMapper : IDisposable
{
    /// <summary>One u32 in a mapping.</summary>
    public readonly record struct Field(MappedMemory Memory, long Offset, string Name);

    private readonly Field[] _fields;
    private readonly HostileAttack _attack;
    private readonly Thread _thread;
    private readonly int _seed;
    private volatile bool _stop;
    private long _flips;

    public HostileMapper(IEnumerable<Field> fields, HostileAttack attack, int seed = 1)
    {
        _fields = fields.ToArray();
        _attack = attack;
        _seed = seed;
        _thread = new Thread(Run) { IsBackground = true, Name = "hostile mapper" };
        _thread.Start();
    }

    /// <summary>Bad values written so far.</summary>
    public long Flips => Volatile.Read(ref _flips);

    /// <summary>Every field of the kring record of <paramref name="k"/> except its sync lock (holding that is a
    /// test of its own) and the counters, and every field of its ring header that a process can write.</summary>
    public static IEnumerable<Field> RingFields(Kring k, string name)
    {
        var mem = k.Ring.Memory;
        long ks = k.StateOffset, rh = k.Ring.Offset;
        (int off, string what)[] kring =
        [
            (0, "HwCur"), (4, "RHead"), (8, "RCur"), (12, "RTail"), (20, "Kind"), (24, "PeerRing"), (28, "NumSlots"),
            (32, "RingOffset"), (40, "IsTx"), (52, "SyncSeq"), (64, "HwTail"), (72, "MonitorCount"), (88, "MonitorLink0"),
            (92, "MonitorLink1"), (128, "NeedKick"), (132, "EngineNeedKick"), (216, "BackendCursor0"),
        ];
        foreach (var (off, what) in kring) yield return new Field(mem, ks + off, $"{name} kring.{what}");
        (int off, string what)[] header =
        [
            (0, "BufOfs"), (8, "NumSlots"), (12, "BufferSize"), (NetmapRingHeader.OffsetOfHead, "Head"),
            (NetmapRingHeader.OffsetOfCur, "Cur"), (NetmapRingHeader.OffsetOfTail, "Tail"), (32, "Flags"),
        ];
        foreach (var (off, what) in header) yield return new Field(mem, rh + off, $"{name} ring.{what}");
    }

    /// <summary>The buffer index of every slot of <paramref name="ring"/>.</summary>
    public static IEnumerable<Field> SlotIndices(NetmapRing ring, string name)
    {
        for (uint i = 0; i < ring.NumSlots; i++)
            yield return new Field(ring.Memory, ring.Offset + NetmapRingHeader.OffsetOfSlots + i * NetmapSlot.Size, $"{name} slot[{i}].buf_idx");
    }

    private void Run()
    {
        var rng = new Random(_seed);
        while (!_stop)
        {
            foreach (var f in _fields)
            {
                if (_stop) break;
                ref uint word = ref f.Memory.Ref<uint>(f.Offset);
                uint v = Volatile.Read(ref word);
                uint bad = _attack == HostileAttack.OutOfRange ? v + (1u << 30) : v ^ (uint)rng.Next(1, int.MaxValue);
                Volatile.Write(ref word, bad);
                Thread.SpinWait(rng.Next(1, 50));
                Volatile.Write(ref word, v);
                Interlocked.Increment(ref _flips);
            }
        }
    }

    public void Dispose()
    {
        _stop = true;
        _thread.Join();
    }
}
