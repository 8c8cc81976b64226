namespace Netmap.Hosting.Daemon;

/// <summary>
/// What one netmapd serves at most, so that a client asking too much is refused (with the limit and the flag that
/// sets it named) instead of exhausting the daemon. Connection caps and the descriptor reserve are the server's;
/// netmapd's <c>--max-*</c> flags set them (NetmapdLimits, where engine-side caps belong too).
/// </summary>
internal sealed record DaemonLimits
{
    /// <summary>Connections open at once, all users together (<c>--max-connections</c>).</summary>
    public int MaxConnections { get; init; } = 4096;

    /// <summary>Connections open at once by one uid (<c>--max-connections-per-user</c>): every uid, root included,
    /// has its own count, so one user's flood never takes another's share.</summary>
    public int MaxConnectionsPerUser { get; init; } = 256;

    /// <summary>Descriptors kept free below RLIMIT_NOFILE (<c>--descriptor-reserve</c>): a connection or a request that
    /// may create descriptors (REGISTER, VALE_NEWIF, VALE_ATTACH) is refused with ENFILE once fewer are left, so no
    /// allocation of the daemon (a kick line, a memfd, a socket, the runtime's own) ever fails with EMFILE.</summary>
    public int DescriptorReserve { get; init; } = 256;

    /// <summary>Threads that run requests (<c>--request-threads</c>). The engine serialises its requests, so more threads
    /// only help when requests wait on something else; each connection is served by one thread at a time.</summary>
    public int RequestThreads { get; init; } = 4;

    public const int MaxRequestThreads = 64;

    /// <summary>Names of the flags, for refusal texts.</summary>
    public const string MaxConnectionsFlag = "--max-connections";
    public const string MaxConnectionsPerUserFlag = "--max-connections-per-user";
    public const string DescriptorReserveFlag = "--descriptor-reserve";
}
