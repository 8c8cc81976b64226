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
    /// <summary>POLLERR: a ring had to be reinitialised (bad head/cur or slots).</summary>
    Error = 0x8,
}
