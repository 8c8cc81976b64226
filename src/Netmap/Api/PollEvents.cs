using Netmap.Api;
namespace Netmap;

/// <summary>poll(2) event bits as netmap reports them for a port.</summary>
[Flags]
public enum PollEvents : short
{
    /// <summary>Nothing (a timeout).</summary>
    None = 0,
    /// <summary>POLLIN: an RX ring has cur != tail after rxsync.</summary>
    In = 0x1,
    /// <summary>POLLOUT: a TX ring has cur != tail after txsync.</summary>
    Out = 0x4,
    /// <summary>POLLERR: a ring had to be reinitialised (bad head/cur or slots), netmapd is gone
    /// (<see cref="NetmapPort.Failure"/>), or a monitor's port left netmap mode.</summary>
    Error = 0x8,
    /// <summary>POLLHUP: the other end of the pipe is gone, closed or with its process (<see cref="NetmapPort.Peer"/>,
    /// <see cref="NetmapPort.PeerFailure"/>), or a monitor's port left netmap mode. Reported whether asked for or not,
    /// as long as it lasts (like a FIFO's POLLHUP): a pipe end clears it when a new peer end attaches
    /// (<see cref="NetmapPort.WaitForPeer"/> sleeps until then). Frames the peer published before it went are still
    /// delivered: In comes with HangUp until they are consumed.</summary>
    HangUp = 0x10,
}
