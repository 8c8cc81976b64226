using Netmap.Api;
namespace Netmap;

/// <summary>A per-packet callback for <see cref="NetmapPort.Dispatch{THandler}(int, ref THandler)"/>; as a struct it is
/// called without a delegate or an interface dispatch.</summary>
public interface IPacketHandler
{
    /// <summary>One slot's bytes; valid only during the call.</summary>
    void Handle(ReadOnlySpan<byte> frame);
}
