using System.Buffers.Binary;
using System.Diagnostics;
using Netmap.Abi;
using Netmap.Api;
using Netmap.Engine;
using Netmap.Hosting;

namespace Netmap.Tests.Api;

/// <summary>
/// Four ports on an embedded engine for <see cref="PortBridge"/> tests: the bridge forwards between
/// <see cref="PortA"/> and <see cref="PortB"/>; the test talks through <see cref="EndA"/> (wired to PortA: the
/// other end of its pipe, or a port on its VALE switch) and <see cref="EndB"/>. Test helper, not a test class.
/// </summary>
internal sealed class PortBridgeRig : IDisposable
{
    private readonly bool _ownsEngine;

    private PortBridgeRig(NetmapEngine? engine, string endA, string portA, string portB, string endB)
    {
        _ownsEngine = engine is null;
        Engine = engine ?? new NetmapEngine();
        Host = NetmapHost.Embedded(Engine);
        try
        {
            PortA = NetmapPort.Open(portA, Host);
            EndA = NetmapPort.Open(endA, Host);
            PortB = NetmapPort.Open(portB, Host);
            EndB = NetmapPort.Open(endB, Host);
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public NetmapEngine Engine { get; }
    public NetmapHost Host { get; }
    public NetmapPort EndA { get; } = null!;
    public NetmapPort PortA { get; } = null!;
    public NetmapPort PortB { get; } = null!;
    public NetmapPort EndB { get; } = null!;

    /// <summary>PortA = "parentA{1", PortB = "parentB{2"; the ends are the "}" sides. One parent: one region.</summary>
    public static PortBridgeRig Pipes(string parentA, string parentB, string confA = "", string confB = "", NetmapEngine? engine = null)
        => new(engine, $"netmap:{parentA}}}1", $"netmap:{parentA}{{1{confA}", $"netmap:{parentB}{{2{confB}", $"netmap:{parentB}}}2");

    /// <summary>PortA = "vale{sw}0:a", PortB = "vale{sw}1:b" (+ <paramref name="specB"/>), the ends "ta"/"tb" on the
    /// same switches; frames are broadcasts, so each switch floods them to the other port.</summary>
    public static PortBridgeRig Vale(string sw, string specB = "", NetmapEngine? engine = null)
        => new(engine, $"vale{sw}0:ta", $"vale{sw}0:a", $"vale{sw}1:b{specB}", $"vale{sw}1:tb");

    /// <summary>A broadcast Ethernet frame of <paramref name="length"/> bytes whose content depends on <paramref name="seq"/>.</summary>
    public static byte[] Frame(int length, int seq)
    {
        var f = new byte[length];
        f.AsSpan(0, Math.Min(6, length)).Fill(0xff);
        for (int i = 6; i < length; i++) f[i] = (byte)(seq * 31 + i * 7);
        if (length >= 18) BinaryPrimitives.WriteInt32BigEndian(f.AsSpan(14), seq);
        return f;
    }

    /// <summary>Injects every frame (fails when a TX ring is full) and txsyncs.</summary>
    public static void Send(NetmapPort port, IEnumerable<byte[]> frames)
    {
        foreach (var f in frames)
        {
            if (port.Inject(f)) continue;
            port.TxSync();
            Assert.True(port.Inject(f), $"{port.Spec.Spec}: no room for a {f.Length}-byte frame");
        }
        port.TxSync();
    }

    /// <summary>rxsync, then every complete packet (NS_MOREFRAG runs joined), released with a second rxsync.</summary>
    public static List<byte[]> Drain(NetmapPort port)
    {
        port.RxSync();
        var got = new List<byte[]>();
        var current = new List<byte>();
        while (port.NextPacket(out var f, out var flags))
        {
            current.AddRange(f.ToArray());
            if ((flags & SlotFlags.MoreFragments) != 0) continue;
            got.Add(current.ToArray());
            current.Clear();
        }
        Assert.True(current.Count == 0, $"{port.Spec.Spec}: a packet ended in the middle of its NS_MOREFRAG run");
        port.RxSync();
        return got;
    }

    /// <summary>Forwards and drains both ends until <paramref name="toB"/> packets reached EndB and
    /// <paramref name="toA"/> reached EndA (or 5 s passed); returns what each end received.</summary>
    public (List<byte[]> AtA, List<byte[]> AtB) Pump(PortBridge bridge, int toA, int toB)
    {
        var atA = new List<byte[]>();
        var atB = new List<byte[]>();
        var sw = Stopwatch.StartNew();
        while ((atA.Count < toA || atB.Count < toB) && sw.ElapsedMilliseconds < 5000)
        {
            bridge.Forward();
            atA.AddRange(Drain(EndA));
            atB.AddRange(Drain(EndB));
        }
        return (atA, atB);
    }

    public void Dispose()
    {
        EndB?.Dispose();
        PortB?.Dispose();
        EndA?.Dispose();
        PortA?.Dispose();
        if (_ownsEngine) Engine.Dispose();
    }
}
