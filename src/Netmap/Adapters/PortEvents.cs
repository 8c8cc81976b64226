namespace Netmap.Adapters;

/// <summary>poll(2) bits of a port's readiness, below the API layer (same values as <c>Netmap.Api.PollEvents</c>
/// and as POLLIN/POLLOUT/POLLERR).</summary>
[Flags]
internal enum PortEvents : short
{
    None = 0,
    In = 0x1,
    Out = 0x4,
    Error = 0x8,
}
