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

    /// <summary>The pipe lives while either end is registered; with both ends closed it is freed.</summary>
    public override void OnUnused()
    {
        if (Peer.Registrations == 0) Pipe.Destroy();
    }
}
