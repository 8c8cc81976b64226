using System.Globalization;
using Netmap;
using Netmap.Hosting.Daemon;

namespace Netmapd;

/// <summary>
/// netmapd's limits: what one daemon serves at most, so that a client asking too much is refused with a line naming
/// the limit and its flag, and the daemon never dies of it. One place for every cap: those of the connection layer
/// (enforced by the server: a property and a row of <see cref="Flags"/> each) and the engine's (shared memory,
/// regions, ports, pipes, extra buffers, descriptors, per user and in all: <see cref="EngineLimits"/>, a row of
/// <see cref="EngineFlags"/> each, defaults from the machine); each has a line of <see cref="Usage"/>.
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
        What clients make the engine hold (ENOMEM past one, e.g. "uid 1000 holds 512 MiB of shared memory, 42 MiB
        more asked (limit --max-memory-per-user 512M)"; N, SIZE with K, M, G or T, or none; root counts as a user):
          --max-memory SIZE, --max-memory-per-user SIZE
                                        shared memory (each region's memfd; the global region counts in the total
                                        only); default half the RAM in all, a quarter per user
          --max-regions N, --max-regions-per-user N
                                        private memory regions (default 1024, 256)
          --max-ports N, --max-ports-per-user N
                                        VALE ports (persistent ones too, counted against their creator), monitors,
                                        null ports, interfaces (default 4096, 256)
          --max-pipes N, --max-pipes-per-user N
                                        pipes (default 4096, 256)
          --max-extra-buffers N, --max-extra-buffers-per-user N
                                        extra buffers held by registrations (default 4194304, 1048576); a REGISTER
                                        gets what its limits leave (netmap's "up to nr_extra_bufs": the count is
                                        written back)
          --max-extra-buffers-per-registration N
                                        at most 524288 (netmap's clamp, the default)
          --max-fds N, --max-fds-per-user N
                                        descriptors the engine holds for the objects (kick lines, memfds, interfaces'
                                        kernel objects); default three quarters of RLIMIT_NOFILE in all, a quarter
                                        per user
        """;

    /// <summary>Each flag: name, smallest and largest value, setter.</summary>
    public static readonly (string Flag, int Min, int Max, Action<NetmapdLimits, int> Set)[] Flags =
    [
        (DaemonLimits.MaxConnectionsFlag, 1, 1_000_000, (l, v) => l.MaxConnections = v),
        (DaemonLimits.MaxConnectionsPerUserFlag, 1, 1_000_000, (l, v) => l.MaxConnectionsPerUser = v),
        (DaemonLimits.DescriptorReserveFlag, 16, 1_000_000, (l, v) => l.DescriptorReserve = v),
        ("--request-threads", 1, DaemonLimits.MaxRequestThreads, (l, v) => l.RequestThreads = v),
    ];

    /// <summary>The engine's limit flags: name, whether it takes a size (K/M/G/T suffixes), and how it sets
    /// <see cref="Netmap.EngineLimits"/>.</summary>
    public static readonly (string Flag, bool Size, Func<EngineLimits, long, EngineLimits> Set)[] EngineFlags =
    [
        ("--max-memory", true, (l, v) => l with { MaxMemory = v }),
        ("--max-memory-per-user", true, (l, v) => l with { MaxMemoryPerUser = v }),
        ("--max-regions", false, (l, v) => l with { MaxRegions = v }),
        ("--max-regions-per-user", false, (l, v) => l with { MaxRegionsPerUser = v }),
        ("--max-ports", false, (l, v) => l with { MaxPorts = v }),
        ("--max-ports-per-user", false, (l, v) => l with { MaxPortsPerUser = v }),
        ("--max-pipes", false, (l, v) => l with { MaxPipes = v }),
        ("--max-pipes-per-user", false, (l, v) => l with { MaxPipesPerUser = v }),
        ("--max-extra-buffers", false, (l, v) => l with { MaxExtraBuffers = v }),
        ("--max-extra-buffers-per-user", false, (l, v) => l with { MaxExtraBuffersPerUser = v }),
        ("--max-extra-buffers-per-registration", false, (l, v) => l with { MaxExtraBuffersPerRegistration = v }),
        ("--max-fds", false, (l, v) => l with { MaxDescriptors = v }),
        ("--max-fds-per-user", false, (l, v) => l with { MaxDescriptorsPerUser = v }),
    ];

    /// <summary>The engine flags given, by flag (long.MaxValue for "none"); the others keep their defaults.</summary>
    private readonly Dictionary<string, long> _engine = new(StringComparer.Ordinal);

    /// <summary>True when <paramref name="flag"/> is one of the limits (connection layer or engine).</summary>
    public static bool IsFlag(string flag) => Flags.Any(f => f.Flag == flag) || EngineFlags.Any(f => f.Flag == flag);

    /// <summary>The engine's limits: <see cref="Netmap.EngineLimits.ForDaemon"/> for this machine, with the flags given.</summary>
    public EngineLimits EngineLimits(long physicalMemory, long openFiles)
    {
        var limits = Netmap.EngineLimits.ForDaemon(physicalMemory, openFiles);
        foreach (var (flag, _, set) in EngineFlags)
            if (_engine.TryGetValue(flag, out long v)) limits = set(limits, v);
        return limits;
    }

    /// <summary>"4096", "512M", "2G", "none"; null with <paramref name="error"/> when it is none of these.</summary>
    private static long? ParseEngineLimit(string flag, string text, bool size, out string? error)
    {
        error = null;
        if (text == "none") return long.MaxValue;
        int shift = 0;
        string digits = text;
        if (size && text.Length > 1)
        {
            shift = char.ToUpperInvariant(text[^1]) switch { 'K' => 10, 'M' => 20, 'G' => 30, 'T' => 40, _ => 0 };
            if (shift != 0) digits = text[..^1];
        }
        if (!long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out long n) || n > (long.MaxValue >> shift))
        {
            error = $"{flag}: '{text}' is not {(size ? "a size (N, NK, NM, NG, NT)" : "a count")} or none";
            return null;
        }
        long v = n << shift;
        if (flag == "--max-extra-buffers-per-registration" && v > Netmap.EngineLimits.NetmapExtraBufferClamp)
        {
            error = $"{flag}: {v} is above netmap's clamp of {Netmap.EngineLimits.NetmapExtraBufferClamp}";
            return null;
        }
        return v;
    }

    /// <summary>Applies <paramref name="flag"/> = <paramref name="value"/>: false (not a flag of ours) or true with
    /// <paramref name="error"/> set when the value is bad.</summary>
    public bool TrySet(string flag, string value, out string? error)
    {
        error = null;
        foreach (var (name, size, _) in EngineFlags)
        {
            if (name != flag) continue;
            if (ParseEngineLimit(flag, value, size, out error) is long v) _engine[flag] = v;
            return true;
        }
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
