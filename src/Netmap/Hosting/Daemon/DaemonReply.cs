using Netmap.Abi;
using Netmap.Engine;

namespace Netmap.Hosting.Daemon;

/// <summary>What a request handler answers: the errno, a registration whose descriptors go with the reply (REGISTER),
/// the refusal's detail — or that the request was deferred (<see cref="DaemonRequest.Defer"/>).</summary>
internal readonly record struct DaemonReply(Errno Errno, RegisterResult? Registration = null, string? Detail = null, bool IsDeferred = false)
{
    public static DaemonReply Deferred => new(Errno.None, IsDeferred: true);
}
