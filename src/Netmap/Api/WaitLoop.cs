using Netmap.Interop;

namespace Netmap.Api;

/// <summary>
/// The one thread of the process on which every pending <see cref="NetmapPort.WaitAsync"/> sleeps: an epoll set holding
/// one descriptor per port that has waited (its <see cref="PortWaiter"/>'s own epoll set over the kick line and the
/// rest), registered EPOLLONESHOT so that an armed wait fires once and an idle port costs nothing. Started on the
/// first pending wait, lives as long as the process (a background thread). It never blocks on anything but
/// epoll_wait and never runs user code: a ready waiter is checked here (the sync calls are short and allocate
/// nothing) and its continuation goes to the thread pool.
/// Design: an event's 64-bit tag is slot | generation &lt;&lt; 32 of the waiter table; a slot is reused only with a new
/// generation, so an event fetched just before its port was disposed finds no waiter (or another generation) and is
/// dropped.
/// </summary>
internal static class WaitLoop
{
    private const int Batch = 64;
    private static readonly object Lock = new();
    private static EpollSet? s_epoll;
    private static PortWaiter?[] s_slots = new PortWaiter?[64];
    private static uint[] s_generations = new uint[64];
    private static readonly Stack<int> FreeSlots = new();
    private static int s_used;

    /// <summary>Adds <paramref name="waiter"/> to the table and its descriptor to the loop's set (disarmed until
    /// <see cref="Arm"/>); returns its tag. Starts the loop on first use.</summary>
    public static ulong Add(PortWaiter waiter, int fd, string owner)
    {
        lock (Lock)
        {
            var ep = s_epoll;
            if (ep is null)
            {
                ep = EpollSet.Create("netmap wait loop");
                var thread = new Thread(Run) { IsBackground = true, Name = "netmap wait loop" };
                thread.UnsafeStart(ep);
                s_epoll = ep;
            }
            int slot;
            if (FreeSlots.Count > 0) slot = FreeSlots.Pop();
            else
            {
                if (s_used == s_slots.Length)
                {
                    Array.Resize(ref s_generations, s_slots.Length * 2);
                    var bigger = new PortWaiter?[s_slots.Length * 2];
                    s_slots.CopyTo(bigger, 0);
                    Volatile.Write(ref s_slots, bigger);
                }
                slot = s_used++;
            }
            ulong tag = (uint)slot | (ulong)s_generations[slot] << 32;
            Volatile.Write(ref s_slots[slot], waiter);
            // Added with no events: the first Arm (EPOLL_CTL_MOD) enables it once.
            int err = ep.Watch(fd, EpollEvent.OneShot, tag);
            if (err != 0)
            {
                s_slots[slot] = null;
                FreeSlots.Push(slot);
                throw new NetmapException((Errno)err, $"{owner}: epoll_ctl (wait loop): {SystemError.Name(err)}");
            }
            return tag;
        }
    }

    /// <summary>Enables one wakeup of the waiter's descriptor (EPOLLONESHOT): it fires at once if already readable.
    /// 0 or an errno.</summary>
    public static int Arm(int fd, ulong tag) => s_epoll!.Rearm(fd, EpollEvent.In | EpollEvent.OneShot, tag);

    /// <summary>Takes the waiter's descriptor out of the set and frees its slot (before the descriptor is closed).</summary>
    public static void Remove(int fd, ulong tag)
    {
        lock (Lock)
        {
            s_epoll?.Unwatch(fd);
            int slot = (int)(uint)tag;
            if (slot >= s_used || s_generations[slot] != (uint)(tag >> 32)) return; // already removed
            Volatile.Write(ref s_slots[slot], null);
            s_generations[slot]++;
            FreeSlots.Push(slot);
        }
    }

    private static void Run(object? state)
    {
        var ep = (EpollSet)state!;
        var events = new EpollEvent[Batch];
        while (true)
        {
            int n = ep.WaitEvents(events, -1);
            for (int i = 0; i < n; i++)
            {
                ulong tag = events[i].Data;
                int slot = (int)(uint)tag;
                var slots = Volatile.Read(ref s_slots);
                if (slot >= slots.Length) continue;
                var waiter = Volatile.Read(ref slots[slot]);
                if (waiter is null || waiter.Tag != tag) continue; // its port was disposed
                try
                {
                    waiter.OnReadable();
                }
                catch (Exception e)
                {
                    // A bug must not stop every other port's waits: the waiter fails, the loop goes on.
                    waiter.Fail(e);
                }
            }
        }
    }
}
