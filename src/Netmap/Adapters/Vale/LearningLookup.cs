using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using Netmap.Abi;
using Netmap.Adapters.Vale;

namespace Netmap;

/// <summary>
/// netmap's default lookup (netmap_vale_learning): learn the source address of unicast sources into a 1024-entry
/// table (no ageing; a colliding address overwrites), send unicast to the learned port, everything else to all
/// other ports. Entries are one 64-bit word (address | port &lt;&lt; 48) so concurrent writers never tear an entry.
/// </summary>
public sealed class LearningLookup : IValeLookup
{
    private const ulong MacMask = 0xFFFF_FFFF_FFFF;
    private readonly ulong[] _table = new ulong[NetmapConstants.BridgeHashSize];
    private readonly ulong[] _lastSource = new ulong[NetmapConstants.BridgeMaxPorts];

    /// <summary>Creates an empty table (every bucket points nowhere).</summary>
    public LearningLookup() => Reset();

    /// <summary>Forgets every learned address (netmap does this when the lookup is restored to the default).</summary>
    public void Reset()
    {
        Array.Fill(_table, (ulong)ValeDestination.Drop << 48);
        Array.Fill(_lastSource, ulong.MaxValue);
    }

    /// <summary>A new port took index <paramref name="port"/>: it has learned nothing yet.</summary>
    internal void ForgetPort(byte port) { if (port < _lastSource.Length) _lastSource[port] = ulong.MaxValue; }

    /// <summary>The port learned for <paramref name="mac"/> (low 48 bits, byte 0 lowest), or null.</summary>
    public byte? LearnedPort(ulong mac)
    {
        ulong e = Volatile.Read(ref _table[ValeHash.Bucket(mac)]);
        return (e & MacMask) == (mac & MacMask) && (byte)(e >> 48) < NetmapConstants.BridgeMaxPorts ? (byte)(e >> 48) : null;
    }

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public byte Lookup(ReadOnlySpan<byte> frame, byte sourcePort, ref byte destinationRing)
    {
        ulong dmac = BinaryPrimitives.ReadUInt64LittleEndian(frame) & MacMask;
        ulong smac = BinaryPrimitives.ReadUInt64LittleEndian(frame[4..]) >> 16;
        if ((smac & 1) == 0 && sourcePort < _lastSource.Length && _lastSource[sourcePort] != smac)
        {
            Volatile.Write(ref _table[ValeHash.Bucket(smac)], smac | (ulong)sourcePort << 48);
            _lastSource[sourcePort] = smac;
        }
        if ((dmac & 1) == 0)
        {
            ulong e = Volatile.Read(ref _table[ValeHash.Bucket(dmac)]);
            if ((e & MacMask) == dmac) return (byte)(e >> 48);
        }
        return ValeDestination.Broadcast;
    }
}
