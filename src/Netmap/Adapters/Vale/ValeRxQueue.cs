using Netmap.Rings;

namespace Netmap.Adapters.Vale;

/// <summary>
/// Engine-private producer state of one VALE port RX ring: netmap's leases (nkr_hwlease, nkr_leases). Several
/// forwarders (threads of an embedded engine, netmapd workers) may deliver into the same ring at once: each
/// reserves a contiguous run of slots under the lock, copies without it, then completes its lease; hwtail moves
/// only over completed leases, in reservation order, so the receiver sees every packet whole and in order.
/// The consumer's release (the shared kring's hwcur, written by the client) is untrusted and validated here; the
/// shared hwtail is only a publication of <c>_hwTail</c>, re-asserted at every reservation if somebody overwrote it.
/// </summary>
internal sealed class ValeRxQueue
{
    private readonly object _lock = new();
    private readonly uint[] _leaseEnd;
    private readonly bool[] _leaseDone;
    private int _leaseFirst, _leaseCount;
    private uint _hwLease, _hwTail, _hwCur;

    public ValeRxQueue(uint numSlots)
    {
        NumSlots = numSlots;
        _leaseEnd = new uint[numSlots];
        _leaseDone = new bool[numSlots];
    }

    public uint NumSlots { get; }

    /// <summary>Restarts from an empty ring (the port entered netmap mode again).</summary>
    public void Reset()
    {
        lock (_lock) { _hwLease = _hwTail = _hwCur = 0; _leaseFirst = _leaseCount = 0; }
    }

    /// <summary>
    /// Reserves as many slots as fit, but only whole packets: <paramref name="cumulative"/>[k] is the slot count
    /// of the first k+1 packets. Returns the packets granted and the first slot; 0 when full.
    /// </summary>
    public int Reserve(ref KringState shared, ReadOnlySpan<int> cumulative, out uint start, out int lease)
    {
        lock (_lock)
        {
            // Take the consumer's release if it is a legal move of hwcur (towards hwtail), else keep ours.
            uint n = NumSlots;
            uint released = Volatile.Read(ref shared.HwCur);
            if (released < n && RingMath.Distance(_hwCur, released, n) <= RingMath.Distance(_hwCur, _hwTail, n)) _hwCur = released;
            else if (released != _hwCur) shared.BadIndices++;
            // hwtail is ours: put back a value somebody else wrote, or a consumer that took it could wait for ever.
            if (Volatile.Read(ref shared.HwTail) != _hwTail) { shared.BadIndices++; Volatile.Write(ref shared.HwTail, _hwTail); }
            uint busy = RingMath.Distance(_hwCur, _hwLease, n);
            long free = n - 1 - busy;
            int packets = cumulative.Length;
            while (packets > 0 && cumulative[packets - 1] > free) packets--;
            start = _hwLease;
            lease = -1;
            if (packets == 0) return 0;
            uint slots = (uint)cumulative[packets - 1];
            _hwLease = (_hwLease + slots) % n;
            lease = (_leaseFirst + _leaseCount) % _leaseEnd.Length;
            _leaseEnd[lease] = _hwLease;
            _leaseDone[lease] = false;
            _leaseCount++;
            return packets;
        }
    }

    /// <summary>Completes <paramref name="lease"/>; publishes hwtail over every completed lease at the front.
    /// Returns true when hwtail moved (the consumer may need a kick).</summary>
    public bool Complete(ref KringState shared, int lease)
    {
        lock (_lock)
        {
            _leaseDone[lease] = true;
            uint before = _hwTail;
            while (_leaseCount > 0 && _leaseDone[_leaseFirst])
            {
                _hwTail = _leaseEnd[_leaseFirst];
                _leaseFirst = (_leaseFirst + 1) % _leaseEnd.Length;
                _leaseCount--;
            }
            if (_hwTail == before) return false;
            Volatile.Write(ref shared.HwTail, _hwTail);
            return true;
        }
    }
}
