using Netmap.Api;
namespace Netmap;

/// <summary>What a port knows about the other side of its rings (<see cref="NetmapPort.Peer"/>).</summary>
public enum PeerState
{
    /// <summary>The port has no peer to report: VALE ports (a port learns nothing about the other ports of its
    /// switch), Linux interfaces, null ports.</summary>
    None,
    /// <summary>A pipe end whose other end has not been opened yet. Not a hang-up: frames wait in the ring.</summary>
    Waiting,
    /// <summary>The other end of the pipe is open (for a monitor: the monitored port is in netmap mode).</summary>
    Attached,
    /// <summary>The other end of the pipe was closed (for a monitor: the monitored port left netmap mode, for good:
    /// a re-opened port is a new one). Poll reports <see cref="PollEvents.HangUp"/>.</summary>
    Closed,
    /// <summary>The process that had the other end open ended without closing it (killed, crashed, or exited without
    /// disposing the port). Poll reports <see cref="PollEvents.HangUp"/>.</summary>
    Died,
}
