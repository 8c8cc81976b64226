using System.Net;

namespace Netmap.Tests.Infrastructure;

/// <summary>The outcome of <see cref="IcmpEcho.Run"/>: echo requests sent, distinct replies received, and the last
/// send error if any (ENETUNREACH: no route; the requests were not sent).</summary>
public readonly record struct PingResult(string? Namespace, IPAddress Address, int Sent, int Replies, string? Error)
{
    /// <summary>At least one reply, ping(8)'s exit status 0.</summary>
    public bool Answered => Replies > 0;

    public override string ToString()
        => $"ICMP echo to {Address} from {Namespace ?? "the test's namespace"}: {Sent} sent, {Replies} replies{(Error is null ? "" : $" ({Error})")}";
}
