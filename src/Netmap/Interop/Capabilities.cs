namespace Netmap.Interop;

/// <summary>The effective capabilities of this process (from /proc/self/status), for clear refusals before the
/// kernel gives a bare EPERM.</summary>
internal static class Capabilities
{
    public const int NetAdmin = 12, NetRaw = 13, SysAdmin = 21, Bpf = 39;

    public static bool Has(int capability)
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/self/status"))
                if (line.StartsWith("CapEff:", StringComparison.Ordinal))
                    return (Convert.ToUInt64(line[7..].Trim(), 16) >> capability & 1) != 0;
        }
        catch (IOException) { }
        return false;
    }
}
