using System.Globalization;
using Netmap.Abi;

namespace Netmap.Memory;

/// <summary>
/// What the engine holds for each user and in all, against limits (netmapd's --max-* flags; an embedded engine has
/// none by default). Objects take a <see cref="ResourceCharge"/> before they are built, so a request over a limit is
/// refused (ENOMEM, naming the limit and its flag) before anything is allocated; the charge is given back when the
/// object goes. Engine-private, used under the engine lock.
/// </summary>
internal sealed class ResourceQuota
{
    public const int Kinds = 6;

    private readonly Dictionary<uint, long[]> _byUser = new();
    private readonly long[] _total = new long[Kinds];
    private readonly long[] _perUserLimit = Enumerable.Repeat(long.MaxValue, Kinds).ToArray();
    private readonly long[] _totalLimit = Enumerable.Repeat(long.MaxValue, Kinds).ToArray();

    /// <summary>How each resource is named in refusals: what it is, and the flags that set its two limits.</summary>
    private static readonly (string What, string TotalFlag, string PerUserFlag, bool Bytes)[] Names =
    [
        ("of shared memory", "--max-memory", "--max-memory-per-user", true),
        ("memory regions", "--max-regions", "--max-regions-per-user", false),
        ("ports", "--max-ports", "--max-ports-per-user", false),
        ("pipes", "--max-pipes", "--max-pipes-per-user", false),
        ("extra buffers", "--max-extra-buffers", "--max-extra-buffers-per-user", false),
        ("descriptors in the engine", "--max-fds", "--max-fds-per-user", false),
    ];

    /// <summary>Sets both limits of <paramref name="kind"/> (long.MaxValue = none).</summary>
    public void SetLimit(ResourceKind kind, long perUser, long total)
    {
        _perUserLimit[(int)kind] = perUser;
        _totalLimit[(int)kind] = total;
    }

    public long PerUserLimit(ResourceKind kind) => _perUserLimit[(int)kind];
    public long TotalLimit(ResourceKind kind) => _totalLimit[(int)kind];

    /// <summary>A new, empty charge for <paramref name="uid"/> (null: the engine's own, counted in the total only).</summary>
    public ResourceCharge Open(uint? uid) => new(this, uid);

    public long Used(uint uid, ResourceKind kind) => _byUser.TryGetValue(uid, out var u) ? u[(int)kind] : 0;

    public long UsedTotal(ResourceKind kind) => _total[(int)kind];

    /// <summary>How much more of <paramref name="kind"/> <paramref name="uid"/> may take now (both limits).</summary>
    public long Available(uint? uid, ResourceKind kind)
    {
        int k = (int)kind;
        long left = _totalLimit[k] - _total[k];
        if (uid is uint u) left = Math.Min(left, _perUserLimit[k] - Used(u, kind));
        return Math.Max(0, left);
    }

    internal void Take(uint? uid, ResourceKind kind, long amount, string obj, string op)
    {
        int k = (int)kind;
        var (what, totalFlag, userFlag, bytes) = Names[k];
        if (uid is uint u)
        {
            long used = Used(u, kind);
            if (amount > _perUserLimit[k] - used)
                throw NetmapException.Create(obj, op, Errno.ENOMEM,
                    $"uid {u} holds {Amount(used, bytes)} {what}, {Amount(amount, bytes)} more asked (limit {userFlag} {Limit(_perUserLimit[k], bytes)})");
        }
        if (amount > _totalLimit[k] - _total[k])
            throw NetmapException.Create(obj, op, Errno.ENOMEM,
                $"the engine holds {Amount(_total[k], bytes)} {what} in all, {Amount(amount, bytes)} more asked (limit {totalFlag} {Limit(_totalLimit[k], bytes)})");
        if (uid is uint owner)
        {
            if (!_byUser.TryGetValue(owner, out var row)) _byUser[owner] = row = new long[Kinds];
            row[k] += amount;
        }
        _total[k] += amount;
    }

    internal void Give(uint? uid, ResourceKind kind, long amount)
    {
        int k = (int)kind;
        _total[k] -= amount;
        if (uid is uint u && _byUser.TryGetValue(u, out var row))
        {
            row[k] -= amount;
            if (row.All(v => v == 0)) _byUser.Remove(u);
        }
    }

    /// <summary>"512 MiB", "1.5 GiB", "12345 bytes" (or a plain count).</summary>
    public static string Amount(long v, bool bytes)
    {
        if (!bytes) return v.ToString(CultureInfo.InvariantCulture);
        string[] units = ["bytes", "KiB", "MiB", "GiB", "TiB"];
        double x = v;
        int i = 0;
        while (x >= 1024 && i < units.Length - 1) { x /= 1024; i++; }
        return i == 0 ? $"{v} bytes" : x.ToString(x >= 100 || x == Math.Floor(x) ? "0" : "0.#", CultureInfo.InvariantCulture) + " " + units[i];
    }

    /// <summary>A limit as the flag takes it: "512M", "4G", "1000".</summary>
    public static string Limit(long v, bool bytes)
    {
        if (!bytes) return v.ToString(CultureInfo.InvariantCulture);
        foreach (var (suffix, size) in new[] { ("T", 1L << 40), ("G", 1L << 30), ("M", 1L << 20), ("K", 1L << 10) })
            if (v >= size && v % size == 0) return (v / size).ToString(CultureInfo.InvariantCulture) + suffix;
        return v.ToString(CultureInfo.InvariantCulture);
    }
}
