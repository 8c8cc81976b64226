using Netmap.Interop;

namespace Netmap.Hosting.Daemon;

/// <summary>
/// Who may be trusted with a netmapd socket. A client sends its traffic's memory descriptors and its frames to
/// whatever answers there, so it talks only to a daemon running as itself or root, found through a directory nobody
/// else can write into (else another user could put a socket of theirs in its place), holding a socket file owned by
/// that daemon's uid or root. netmapd applies the directory rules to itself before listening.
/// </summary>
internal static class SocketTrust
{
    private const uint GroupOrOtherWrite = 0x12; // 0022
    private const uint Sticky = 0x200;           // 01000

    /// <summary>
    /// Why <paramref name="directory"/> may not hold a socket <paramref name="uid"/> connects to, or null when it may:
    /// it must be a directory (not a symbolic link) owned by <paramref name="uid"/> or root and not writable by group
    /// or others. <paramref name="allowSticky"/> (netmapd's own check) accepts a sticky world-writable directory such
    /// as /tmp, where nobody else may remove or rename our socket. ENOENT gives null with <paramref name="missing"/>.
    /// </summary>
    public static string? CheckDirectory(string directory, uint uid, bool allowSticky, out bool missing)
    {
        missing = false;
        int err = FileStatus.Get(directory, out var st);
        if (err == Libc.ENOENT) { missing = true; return null; }
        if (err != 0) return $"cannot be examined ({SystemError.Name(err)})";
        if (st.IsSymbolicLink) return "is a symbolic link, not a directory";
        if (!st.IsDirectory) return "is not a directory";
        if (st.Uid != uid && st.Uid != 0) return $"owned by uid {st.Uid}, not by {Who(uid)} or root";
        if ((st.Permissions & GroupOrOtherWrite) != 0 && !(allowSticky && (st.Permissions & Sticky) != 0))
            return $"writable by {((st.Permissions & GroupOrOtherWrite) == GroupOrOtherWrite ? "its group and others" : (st.Permissions & 0x10) != 0 ? "its group" : "others")} (mode {Octal(st.Permissions)})";
        return null;
    }

    /// <summary>Why the file at <paramref name="socketPath"/> is no daemon's socket <paramref name="uid"/> may use, or null
    /// (also when it does not exist: <paramref name="missing"/>, or cannot be examined: <paramref name="statError"/>).</summary>
    public static string? CheckSocketFile(string socketPath, uint uid, out bool missing, out int statError)
    {
        missing = false;
        int err = statError = FileStatus.Get(socketPath, out var st);
        if (err == Libc.ENOENT) { missing = true; return null; }
        if (err != 0) return $"cannot be examined ({SystemError.Name(err)})";
        if (st.IsSymbolicLink) return "is a symbolic link, not a socket";
        if (!st.IsSocket) return "is not a socket";
        if (st.Uid != uid && st.Uid != 0) return $"owned by uid {st.Uid}, not by {Who(uid)} or root";
        return null;
    }

    /// <summary>Why a daemon running as <paramref name="peerUid"/> (SO_PEERCRED) is not one <paramref name="uid"/> may
    /// use, or null.</summary>
    public static string? CheckPeer(uint peerUid, uint uid)
        => peerUid == uid || peerUid == 0 ? null : $"the daemon there runs as uid {peerUid}, not as {Who(uid)} or root";

    private static string Who(uint uid) => uid == ProcessInfo.EffectiveUid ? "you" : $"uid {uid}";

    public static string Octal(uint mode) => "0" + Convert.ToString(mode, 8).PadLeft(3, '0');
}
