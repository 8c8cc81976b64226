using Netmap.Api;
namespace Netmap;

/// <summary>nm_dispatch's callback: one slot's bytes, valid only during the call.</summary>
public delegate void PacketHandler(ReadOnlySpan<byte> frame);
