namespace Netmap.Memory;

/// <summary>
/// What one object (a region, a port, a pipe, a registration's extra buffers) costs, charged to the user that made it
/// and to the total of the <see cref="ResourceQuota"/>; <see cref="Dispose"/> (once, when the object goes) gives it
/// all back. Engine-private, used under the engine lock.
/// </summary>
internal sealed class ResourceCharge : IDisposable
{
    private readonly ResourceQuota _quota;
    private readonly long[] _amounts = new long[ResourceQuota.Kinds];
    private bool _disposed;

    internal ResourceCharge(ResourceQuota quota, uint? uid) { _quota = quota; Uid = uid; }

    /// <summary>The user charged; null for what the engine spends for everyone (the global region).</summary>
    public uint? Uid { get; }

    public long this[ResourceKind kind] => _amounts[(int)kind];

    /// <summary>Adds <paramref name="amount"/> of <paramref name="kind"/>, or throws ENOMEM naming <paramref name="obj"/>,
    /// <paramref name="op"/> and the limit (nothing is charged then).</summary>
    public ResourceCharge Add(ResourceKind kind, long amount, string obj, string op)
    {
        if (_disposed) throw new ObjectDisposedException(nameof(ResourceCharge));
        _quota.Take(Uid, kind, amount, obj, op);
        _amounts[(int)kind] += amount;
        return this;
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        for (int k = 0; k < _amounts.Length; k++)
            if (_amounts[k] != 0) _quota.Give(Uid, (ResourceKind)k, _amounts[k]);
    }
}
