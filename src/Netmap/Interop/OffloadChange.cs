namespace Netmap.Interop;

/// <summary>
/// What <see cref="EthtoolFeatures.Set"/> or <see cref="EthtoolFeatures.Restore"/> did: the features read before
/// and after, what was asked of the kernel (kernel names; aliases already expanded, fixed features left out), and
/// whether the kernel said it could not apply all of it (ETHTOOL_F_WISH). <see cref="Changed"/> also lists the
/// features the kernel switched as a consequence (without a TX checksum offload it drops scatter-gather, and with
/// it TSO), which is what a caller should log.
/// </summary>
internal sealed class OffloadChange(InterfaceOffloads before, InterfaceOffloads after, IReadOnlyDictionary<string, bool> requested, bool kernelWish)
{
    public InterfaceOffloads Before { get; } = before;
    public InterfaceOffloads After { get; } = after;

    /// <summary>What the call asked for, per kernel feature (aliases expanded, fixed members of a group left out).
    /// Only those whose requested state differed went to the kernel (ETHTOOL_SFEATURES).</summary>
    public IReadOnlyDictionary<string, bool> Requested { get; } = requested;

    /// <summary>The kernel recorded the request but could not apply all of it (ETHTOOL_F_WISH).</summary>
    public bool KernelWish { get; } = kernelWish;

    /// <summary>Requested features whose active state is not the one asked for.</summary>
    public IReadOnlyList<string> NotApplied => Requested.Where(r => After.IsActive(r.Key) != r.Value).Select(r => r.Key).ToList();

    /// <summary>Every feature whose active state differs between <see cref="Before"/> and <see cref="After"/>.</summary>
    public IReadOnlyList<OffloadFeature> Changed
        => After.Features.Where(f => Before.Has(f.Name) && Before.IsActive(f.Name) != f.Active).ToList();

    /// <summary>"IF: tx-checksum-ip-generic off, tx-scatter-gather off; not applied: ..." (or "no change").</summary>
    public override string ToString()
    {
        var changed = Changed;
        var notApplied = NotApplied;
        string s = changed.Count == 0 ? "no change" : string.Join(", ", changed.Select(f => $"{f.Name} {(f.Active ? "on" : "off")}"));
        if (notApplied.Count > 0) s += "; not applied: " + string.Join(", ", notApplied.Select(n => After[n].ToString()));
        return $"{After.Interface}: {s}";
    }
}
