using Netmap.Abi;

namespace Netmap.Memory;

/// <summary>
/// Who owns a switch, a port, a pipe, a pipe parent or a region, and who else may see or use it: a file's owner, group
/// and mode bits (<see cref="AccessRight.See"/> = r, <see cref="AccessRight.Use"/> = w; 0600 by default: only the
/// owner). uid 0 may do everything. Immutable; set when the object is created, from the creator's identity and the
/// mode its request asked for.
/// </summary>
internal sealed record ObjectAccess(uint Uid, uint Gid, uint Mode)
{
    /// <summary>What objects get when their request names no mode: the owner (and root) only.</summary>
    public const uint DefaultMode = 0x180; // 0600

    /// <summary>Highest mode accepted (rwx for owner, group, others; x means nothing here).</summary>
    public const uint MaxMode = 0x1FF; // 0777

    /// <summary>The global region: netmap's shared allocator, open to everyone.</summary>
    public static ObjectAccess Everyone { get; } = new(0, 0, 0x1B6); // 0666

    public bool Allows(AccessCaller caller, AccessRight right)
    {
        if (caller.Uid == 0) return true;
        uint bit = (uint)right;
        if (caller.Uid == Uid) return (Mode & (bit << 6)) != 0;
        if ((Mode & (bit << 3)) != 0 && caller.InGroup(Gid)) return true;
        return (Mode & bit) != 0;
    }

    /// <summary>Throws EACCES naming <paramref name="what"/> and its owner unless <paramref name="caller"/> may.</summary>
    public void Demand(AccessCaller caller, AccessRight right, string what, string obj, string op)
    {
        if (Allows(caller, right)) return;
        string verb = right == AccessRight.See ? "see" : "use";
        throw NetmapException.Create(obj, op, Errno.EACCES, $"{what} belongs to uid {Uid} (mode {FormatMode(Mode)}): uid {caller.Uid} may not {verb} it");
    }

    /// <summary>"0600".</summary>
    public static string FormatMode(uint mode) => "0" + Convert.ToString(mode, 8).PadLeft(3, '0');

    public override string ToString() => $"uid {Uid} gid {Gid} mode {FormatMode(Mode)}";

    /// <summary>Parses "0660", "660", "0o660"; null when it is not octal in [0, 0777].</summary>
    public static uint? ParseMode(string text)
    {
        string s = text.StartsWith("0o", StringComparison.OrdinalIgnoreCase) ? text[2..] : text;
        if (s.Length == 0 || s.Length > 4) return null;
        uint v = 0;
        foreach (char c in s)
        {
            if (c is < '0' or > '7') return null;
            v = v * 8 + (uint)(c - '0');
        }
        return v <= MaxMode ? v : null;
    }
}
