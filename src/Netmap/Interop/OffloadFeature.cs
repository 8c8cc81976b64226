namespace Netmap.Interop;

/// <summary>
/// One offload feature of an interface, as ETHTOOL_GFEATURES reports it. <see cref="Requested"/> is what was asked
/// for (the device's wanted features), <see cref="Active"/> what the kernel actually does; they differ when a
/// dependency forbids the request (e.g. scatter-gather without any TX checksum offload). A <see cref="Fixed"/>
/// feature cannot be changed on this device (absent from its changeable features, or never changeable at all).
/// </summary>
internal readonly record struct OffloadFeature(string Name, bool Active, bool Requested, bool Fixed)
{
    public override string ToString()
        => $"{Name}: {(Active ? "on" : "off")}{(Fixed ? " [fixed]" : Requested != Active ? $" [requested {(Requested ? "on" : "off")}]" : "")}";
}
