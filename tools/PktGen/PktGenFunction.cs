namespace Netmap.Tools.PktGen;

/// <summary>The -f function of pkt-gen.</summary>
public enum PktGenFunction
{
    /// <summary>rx: count what arrives (the default).</summary>
    Rx,
    /// <summary>tx: send as fast as possible (or at -R pps).</summary>
    Tx,
    /// <summary>ping: send one frame, wait for the pong's echo, measure the round trip.</summary>
    Ping,
    /// <summary>pong: echo every frame back with MACs and IPv4 addresses swapped.</summary>
    Pong,
}
