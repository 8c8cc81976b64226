using Netmap.Abi;
using Netmap.Interop;
using Netmap.Rings;

namespace Netmap.Tests.Infrastructure;

/// <summary>A stretch of a mapping whose bytes must not change, remembered when made. Test helper.</summary>
internal sealed class MemoryCanary(MappedMemory mem, long offset, int length, string name)
{
    private readonly byte[] _before = mem.Span(offset, length).ToArray();

    public void Check() => Assert.True(mem.Span(offset, length).SequenceEqual(_before), $"canary {name} was overwritten");

    /// <summary>The region header and the reserved buffers 0 and 1 (filled with a pattern first): nothing may write them.</summary>
    public static IEnumerable<MemoryCanary> Region(MappedMemory mem, in RegionLayout l, string name)
    {
        mem.Span(l.BufPoolOffset, (int)(2 * l.BufObjSize)).Fill(0xc5);
        return
        [
            new MemoryCanary(mem, l.BufPoolOffset, (int)(2 * l.BufObjSize), name + " buffers 0-1"),
            new MemoryCanary(mem, l.MemSize, Netmap.Memory.RegionHeader.Size, name + " region header"),
        ];
    }

    /// <summary>The ring object and the kring record of <paramref name="k"/>.</summary>
    public static IEnumerable<MemoryCanary> Ring(Kring k, string name) =>
    [
        new MemoryCanary(k.Ring.Memory, k.Ring.Offset, (int)NetmapRingHeader.ObjectSize(k.NumSlots), name + " ring"),
        new MemoryCanary(k.Ring.Memory, k.StateOffset, KringState.Size, name + " kring"),
    ];
}
