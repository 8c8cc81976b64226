using System.Globalization;
using Netmap.Abi;
using Netmap.Api;
using Netmap.Tests.Scenarios;

namespace Netmap.TestPeer;

/// <summary>
/// Receives <see cref="ValeScenarioFrame"/>s on one port: reassembles NS_MOREFRAG chains, checks every frame byte for
/// byte, and follows each tag's sequence: contiguous from 0 (<see cref="Contiguous"/>, nothing may be lost) or
/// only strictly increasing (the switch may drop). A bad frame throws <see cref="PeerFailure"/>.
/// </summary>
internal sealed class ValeFrameReader
{
    private readonly byte[] _asm = new byte[1 << 18];
    private readonly SortedDictionary<uint, ulong> _next = new();
    private readonly SortedDictionary<uint, long> _count = new();
    private readonly SortedSet<ulong> _sources = new();
    private int _asmLen;

    public ValeFrameReader(bool contiguous) => Contiguous = contiguous;

    public bool Contiguous { get; }
    public long Frames { get; private set; }
    public long Bytes { get; private set; }
    public long Slots { get; private set; }

    /// <summary>Consumes the received slots (up to <paramref name="limit"/> whole frames); returns the frames added.</summary>
    public long Drain(NetmapPort port, long limit)
    {
        long got = 0;
        while (got < limit && port.NextPacket(out var frag, out var flags))
        {
            Slots++;
            if (_asmLen + frag.Length > _asm.Length) throw new PeerFailure($"after {Frames} frames: a chain of more than {_asm.Length} bytes");
            frag.CopyTo(_asm.AsSpan(_asmLen));
            _asmLen += frag.Length;
            if ((flags & SlotFlags.MoreFragments) != 0) continue;
            Add(_asm.AsSpan(0, _asmLen));
            _asmLen = 0;
            got++;
        }
        return got;
    }

    private void Add(ReadOnlySpan<byte> f)
    {
        var err = ValeScenarioFrame.Check(f, out _, out ulong src, out uint tag, out ulong seq);
        if (err is not null) throw new PeerFailure($"after {Frames} good frames: {err}");
        ulong want = _next.GetValueOrDefault(tag);
        if (Contiguous ? seq != want : seq < want)
            throw new PeerFailure($"tag {tag}: seq {seq} arrived, expected {(Contiguous ? "" : "at least ")}{want}");
        _next[tag] = seq + 1;
        _count[tag] = _count.GetValueOrDefault(tag) + 1;
        _sources.Add(src);
        Frames++;
        Bytes += f.Length;
    }

    /// <summary>"tags T:N,... sources MAC,... last T:S,..." (empty lists as "-").</summary>
    public string Summary()
    {
        static string Or(string s) => s.Length == 0 ? "-" : s;
        string tags = string.Join(',', _count.Select(kv => $"{kv.Key}:{kv.Value}"));
        string last = string.Join(',', _next.Select(kv => $"{kv.Key}:{kv.Value - 1}"));
        string src = string.Join(',', _sources.Select(ValeScenarioFrame.FormatMac));
        return string.Create(CultureInfo.InvariantCulture, $"frames {Frames} bytes {Bytes} tags {Or(tags)} sources {Or(src)} last {Or(last)}");
    }
}
