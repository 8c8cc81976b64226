using Netmap.Interop;

namespace Netmap.Hosting;

/// <summary>
/// The client's share of a registration: the mapped region (owned or borrowed), the kick line's end to wait on, the
/// peer's kick line's end to signal, and the sync token that tags the kring locks this registration takes.
/// </summary>
internal sealed class ChannelRegistration : IDisposable
{
    private readonly Action? _release;

    public ChannelRegistration(MappedMemory memory, int kickFd, int peerKickFd, uint token, Action? release, Adapters.NetmapAdapter? localAdapter = null,
        int[]? backendFds = null)
    {
        Memory = memory; KickFd = kickFd; PeerKickFd = peerKickFd; Token = token; _release = release; LocalAdapter = localAdapter;
        BackendFds = backendFds ?? [];
    }

    /// <summary>Linux interfaces: the kernel descriptor of each queue (KringState.BackendQueue indexes it), owned
    /// by the registration (released with it).</summary>
    public int[] BackendFds { get; }

    /// <summary>The engine's adapter when its syncs run engine code in this process (embedded VALE ports), else null.</summary>
    public Adapters.NetmapAdapter? LocalAdapter { get; }

    public MappedMemory Memory { get; }
    public int KickFd { get; }
    public int PeerKickFd { get; }
    public uint Token { get; }

    public void Dispose() => _release?.Invoke();
}
