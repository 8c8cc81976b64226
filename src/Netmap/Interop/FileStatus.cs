using System.Text;

namespace Netmap.Interop;

/// <summary>Type, mode and owner of a path as statx(2) reports them, without following a final symbolic link.</summary>
internal readonly unsafe partial struct FileStatus
{
    private const int AT_FDCWD = -100, AT_SYMLINK_NOFOLLOW = 0x100;
    private const uint STATX_TYPE = 1, STATX_MODE = 2, STATX_UID = 8, STATX_GID = 0x10;
    private const int S_IFMT = 0xF000, S_IFSOCK = 0xC000, S_IFLNK = 0xA000, S_IFDIR = 0x4000;

    [System.Runtime.InteropServices.LibraryImport("libc.so.6", SetLastError = true)]
    private static partial int statx(int dirfd, byte* path, int flags, uint mask, byte* buffer);

    private FileStatus(uint mode, uint uid, uint gid) { Mode = mode; Uid = uid; Gid = gid; }

    /// <summary>st_mode: type and permission bits.</summary>
    public uint Mode { get; }
    public uint Uid { get; }
    public uint Gid { get; }

    /// <summary>The permission bits (e.g. 0750).</summary>
    public uint Permissions => Mode & 0xFFF;
    public bool IsSocket => (Mode & S_IFMT) == S_IFSOCK;
    public bool IsDirectory => (Mode & S_IFMT) == S_IFDIR;
    public bool IsSymbolicLink => (Mode & S_IFMT) == S_IFLNK;

    /// <summary>lstat of <paramref name="path"/>: 0 and the status, or the errno (ENOENT, EACCES...).</summary>
    public static int Get(string path, out FileStatus status)
    {
        status = default;
        byte[] p = Encoding.UTF8.GetBytes(path + "\0");
        byte* buf = stackalloc byte[256];
        fixed (byte* pp = p)
        {
            if (statx(AT_FDCWD, pp, AT_SYMLINK_NOFOLLOW, STATX_TYPE | STATX_MODE | STATX_UID | STATX_GID, buf) != 0) return Libc.LastErrno;
        }
        // struct statx: stx_mask u32 @0, stx_blksize u32 @4, stx_attributes u64 @8, stx_nlink u32 @16,
        // stx_uid u32 @20, stx_gid u32 @24, stx_mode u16 @28.
        status = new FileStatus(*(ushort*)(buf + 28), *(uint*)(buf + 20), *(uint*)(buf + 24));
        return 0;
    }
}
