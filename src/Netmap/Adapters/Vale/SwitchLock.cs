namespace Netmap.Adapters.Vale;

/// <summary>
/// The switch's reader/writer lock (netmap's bdg RW lock): forwarders hold it shared for a whole flush, attach and
/// detach hold it exclusive so that no flush is reading or writing a port while it joins or leaves.
/// Allocation-free; writers are rare and spin (with yields) until the readers have drained.
/// </summary>
internal sealed class SwitchLock
{
    private const int WriterBit = 1 << 30;
    private int _state; // readers count, plus WriterBit while a writer holds or waits

    public void EnterRead()
    {
        var spin = new SpinWait();
        while (true)
        {
            int s = Volatile.Read(ref _state);
            if ((s & WriterBit) == 0 && Interlocked.CompareExchange(ref _state, s + 1, s) == s) return;
            spin.SpinOnce();
        }
    }

    public void ExitRead() => Interlocked.Decrement(ref _state);

    public void EnterWrite()
    {
        var spin = new SpinWait();
        while (true)
        {
            int s = Volatile.Read(ref _state);
            if ((s & WriterBit) == 0 && Interlocked.CompareExchange(ref _state, s | WriterBit, s) == s) break;
            spin.SpinOnce();
        }
        while (Volatile.Read(ref _state) != WriterBit) spin.SpinOnce();
    }

    public void ExitWrite() => Interlocked.Add(ref _state, -WriterBit);
}
