using System.Globalization;
using Netmap.Hosting.Daemon;

namespace Netmapd;

/// <summary>
/// netmapd's limits: what one daemon serves at most, so that a client asking too much is refused with a line naming
/// the limit and its flag, and the daemon never dies of it. One place for every cap: those of the connection layer
/// (below, enforced by the server) and, as they come, the engine's (ports, pipes, regions, extra buffers, bytes of
/// shared memory per user): each is a property, a row of <see cref="Flags"/> and a line of <see cref="Usage"/>.
/// Defaults are sized for a small machine (2 cores, 24 GB) that many users share.
/// </summary>
internal sealed class NetmapdLimits
{
    /// <summary>Connections (open ports and control requests in flight) of all users together.</summary>
    public int MaxConnections { get; set; } = 4096;
    /// <summary>Connections of one uid.</summary>
    public int MaxConnectionsPerUser { get; set; } = 256;
    /// <summary>Descriptors kept free below RLIMIT_NOFILE (netmapd raises it to the hard limit at start).</summary>
    public int DescriptorReserve { get; set; } = 256;
    /// <summary>Threads that run requests.</summary>
    public int RequestThreads { get; set; } = 4;

    public const string Usage = """
        Limits (a client asking more is refused with a message naming the limit and its flag; netmapd never dies of it):
          --max-connections N           connections of all users together (default 4096); each open port is one
          --max-connections-per-user N  connections of one uid, root included (default 256)
          --descriptor-reserve N        descriptors kept free below RLIMIT_NOFILE, which netmapd raises to its hard
                                        limit at start: connections and REGISTER/VALE_NEWIF/VALE_ATTACH are refused
                                        (ENFILE) before a descriptor allocation could fail (default 256)
          --request-threads N           threads that run requests (default 4, at most 64): a slow request holds
                                        one; connections never have a thread of their own
        """;

    /// <summary>Each flag: name, smallest and largest value, setter.</summary>
    public static readonly (string Flag, int Min, int Max, Action<NetmapdLimits, int> Set)[] Flags =
    [
        (DaemonLimits.MaxConnectionsFlag, 1, 1_000_000, (l, v) => l.MaxConnections = v),
        (DaemonLimits.MaxConnectionsPerUserFlag, 1, 1_000_000, (l, v) => l.MaxConnectionsPerUser = v),
        (DaemonLimits.DescriptorReserveFlag, 16, 1_000_000, (l, v) => l.DescriptorReserve = v),
        ("--request-threads", 1, DaemonLimits.MaxRequestThreads, (l, v) => l.RequestThreads = v),
    ];

    /// <summary>Applies <paramref name="flag"/> = <paramref name="value"/>: false (not a flag of ours) or true with
    /// <paramref name="error"/> set when the value is bad.</summary>
    public bool TrySet(string flag, string value, out string? error)
    {
        error = null;
        foreach (var (name, min, max, set) in Flags)
        {
            if (name != flag) continue;
            if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int v) || v < min || v > max)
                error = $"{flag}: '{value}' is not a number in {min}..{max}";
            else set(this, v);
            return true;
        }
        return false;
    }

    /// <summary>The connection layer's share.</summary>
    public DaemonLimits ForServer() => new()
    {
        MaxConnections = MaxConnections,
        MaxConnectionsPerUser = MaxConnectionsPerUser,
        DescriptorReserve = DescriptorReserve,
        RequestThreads = RequestThreads,
    };
}
