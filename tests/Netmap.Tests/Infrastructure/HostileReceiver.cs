using Netmap.Abi;
using Netmap.Api;

namespace Netmap.Tests.Infrastructure;

/// <summary>
/// The receiving end of a pipe played by a hostile peer: it takes what arrives and hands slots back with buffer
/// indices that are not buffers (0, 1, the pool size, 2^30, 2^32 - 1) and NS_BUF_CHANGED, as a receiver that swaps
/// buffers would, for the first <c>poison</c> slots it receives (one in <c>every</c>); after that it behaves.
/// Counts the frames it got intact (first byte 0x5a). Test helper.
/// </summary>
internal sealed class HostileReceiver : IDisposable
{
    private readonly NetmapPort _port;
    private readonly Thread _thread;
    private readonly int _poison, _every;
    private volatile bool _stop;
    private long _slots, _intact, _poisoned;

    public HostileReceiver(NetmapPort port, int poison = 2000, int every = 8)
    {
        _port = port; _poison = poison; _every = every;
        _thread = new Thread(Run) { IsBackground = true, Name = "hostile receiver" };
        _thread.Start();
    }

    public long Intact => Volatile.Read(ref _intact);
    public long Poisoned => Volatile.Read(ref _poisoned);
    public Exception? Failure { get; private set; }

    private void Run()
    {
        try
        {
            var ring = _port.RxRings[0];
            uint[] bad = [0, 1, ring.BufferCount, 1u << 30, uint.MaxValue];
            while (!_stop)
            {
                _port.Poll(PollEvents.In, 5);
                uint avail = ring.GetSpace(out uint head);
                for (uint i = 0; i < avail; i++)
                {
                    ref var slot = ref ring.Slot(head);
                    if (ring.TryGetPayload(slot, out var frame) && frame.Length > 0 && frame[0] == 0x5a) _intact++;
                    if (_slots++ < _poison && _slots % _every == 0)
                    {
                        slot.BufferIndex = bad[_poisoned % bad.Length];
                        slot.Flags |= SlotFlags.BufferChanged;
                        _poisoned++;
                    }
                    head = ring.Next(head);
                }
                ring.Head = ring.Cur = head;
                _port.RxSync();
            }
        }
        catch (Exception e) { Failure = e; }
    }

    public void Dispose()
    {
        _stop = true;
        _thread.Join();
    }
}
