using Netmap.Abi;

namespace Netmap.Hosting;

/// <summary>
/// What netmap calls an open /dev/netmap descriptor, as seen by a client: carries NIOCCTRL requests (in
/// RequestMessage form) to an engine and owns the registration made through it. Closing it unregisters.
/// Implemented by the embedded host (direct calls) and the netmapd client (one SEQPACKET connection).
/// </summary>
internal interface IControlChannel : IDisposable
{
    /// <summary>Sends the request in <paramref name="message"/> (modified in place with the engine's write-back)
    /// and returns the errno. A successful REGISTER fills <paramref name="registration"/>.
    /// <paramref name="detail"/> carries the engine's explanation of a refusal, if any.</summary>
    Errno Control(Span<byte> message, out ChannelRegistration? registration, out string? detail);

    /// <summary>A human name for messages ("netmapd at /run/netmap/netmapd.sock", "embedded engine").</summary>
    string Description { get; }

    /// <summary>A descriptor that reports POLLHUP/POLLRDHUP when the engine's end goes away (netmapd died or closed the
    /// connection), for a waiter to add to its poll set; -1 when the engine lives in this process.</summary>
    int HangupFd { get; }

    /// <summary>Why the engine's end is gone ("netmapd at PATH closed the connection"), or null while it is there.
    /// Checks <see cref="HangupFd"/> without waiting (one poll(2)).</summary>
    string? Failure { get; }
}
