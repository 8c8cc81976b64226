using Netmap.Interop;
using Netmap.Memory;
using Netmap.Rings;

namespace Netmap.Adapters.Pipe;

/// <summary>One end of a netmap pipe ("parent{id" master or "parent}id" slave) as the engine sees it.</summary>
internal sealed class PipeEnd : NetmapAdapter
{
    public PipeEnd(NetmapPipe pipe, bool isMaster, RingFactory.CreatedRing[] tx, RingFactory.CreatedRing[] rx, KickLine kick)
        : base(pipe.Parent.Name + (isMaster ? "{" : "}") + pipe.Id, pipe.Parent.Region, tx, rx)
    {
        Pipe = pipe;
        IsMaster = isMaster;
        Kick = kick;
    }

    public NetmapPipe Pipe { get; }
    public bool IsMaster { get; }
    public override KickLine Kick { get; }
    public PipeEnd Peer => IsMaster ? Pipe.Slave : Pipe.Master;

    public override KickLine? PeerKick => Peer.Kick;

    /// <summary>Both ends are the pipe's: its creator owns them.</summary>
    public override ObjectAccess? Access { get => Pipe.Access; set => throw new InvalidOperationException("a pipe end has its pipe's access"); }

    /// <summary>How many times this end went from no registration to one (the generation its peer's clients see).</summary>
    private uint _arrivals;

    /// <summary>
    /// Tells the clients of the other end that this end came (<paramref name="state"/> = <see cref="KringState.PeerAttached"/>,
    /// its first registration) or went (<see cref="KringState.PeerClosed"/>, <see cref="KringState.PeerDied"/>: its last
    /// one): writes <see cref="KringState.PeerState"/> of every ring of the other end, then wakes its sleepers the way a
    /// sync does (full fence, then the kick line if a ring of that end has NeedKick armed): pairs with the sleeper's
    /// arm, fence, check, so a change is never missed and nobody is woken for nothing. Engine lock held.
    /// </summary>
    public void AnnouncePresence(uint state, int pid)
    {
        if (state == KringState.PeerAttached) _arrivals++;
        uint word = (_arrivals << 8) | state;
        var region = Region;
        foreach (var r in Peer.TxRings) Publish(ref RingFactory.State(region, r), word, (uint)pid);
        foreach (var r in Peer.RxRings) Publish(ref RingFactory.State(region, r), word, (uint)pid);
        Interlocked.MemoryBarrier();
        bool kick = false;
        foreach (var r in Peer.TxRings) kick |= TakeNeedKick(ref RingFactory.State(region, r));
        foreach (var r in Peer.RxRings) kick |= TakeNeedKick(ref RingFactory.State(region, r));
        if (kick) Peer.Kick.Signal();
    }

    private static void Publish(ref KringState ks, uint word, uint pid)
    {
        Volatile.Write(ref ks.PeerPid, pid);
        Volatile.Write(ref ks.PeerState, word);
    }

    private static bool TakeNeedKick(ref KringState ks) => Volatile.Read(ref ks.NeedKick) != 0 && Interlocked.Exchange(ref ks.NeedKick, 0) != 0;

    /// <summary>The pipe lives while either end is registered; with both ends closed it is freed.</summary>
    public override void OnUnused()
    {
        if (Peer.Registrations == 0) Pipe.Destroy();
    }
}
