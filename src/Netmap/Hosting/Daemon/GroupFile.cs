using System.Globalization;
using Netmap.Abi;

namespace Netmap.Hosting.Daemon;

/// <summary>Group names and gids from /etc/group (name:password:gid:members), for --group and for messages.</summary>
internal static class GroupFile
{
    public const string DefaultPath = "/etc/group";

    /// <summary>A numeric gid, or a group name looked up in <paramref name="groupFile"/>.</summary>
    public static uint Resolve(string group, string groupFile = DefaultPath)
    {
        if (uint.TryParse(group, NumberStyles.None, CultureInfo.InvariantCulture, out uint gid)) return gid;
        foreach (var (name, id) in Entries(groupFile))
            if (name == group) return id;
        throw new NetmapException(Errno.EINVAL, $"group {group}: not a gid and not found in {groupFile}");
    }

    /// <summary>The name of group <paramref name="gid"/>, or "gid N" when it has none.</summary>
    public static string NameOf(uint gid, string groupFile = DefaultPath)
    {
        foreach (var (name, id) in Entries(groupFile))
            if (id == gid) return name;
        return $"gid {gid}";
    }

    private static IEnumerable<(string Name, uint Gid)> Entries(string groupFile)
    {
        string[] lines;
        try { lines = File.ReadAllLines(groupFile); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { yield break; }
        foreach (var line in lines)
        {
            var f = line.Split(':');
            if (f.Length >= 3 && uint.TryParse(f[2], NumberStyles.None, CultureInfo.InvariantCulture, out uint gid)) yield return (f[0], gid);
        }
    }
}
