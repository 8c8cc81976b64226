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
}
