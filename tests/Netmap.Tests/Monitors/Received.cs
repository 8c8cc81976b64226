using Netmap.Abi;

namespace Netmap.Tests.Monitors;

/// <summary>A frame as a monitor (or any port) received it: bytes, flags, and the ring it came from.</summary>
internal sealed record Received(byte[] Data, SlotFlags Flags, int Ring);
