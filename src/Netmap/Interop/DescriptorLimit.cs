using System.Runtime.InteropServices;

namespace Netmap.Interop;

/// <summary>
/// RLIMIT_NOFILE and the number of descriptors this process has open (counted in /proc/self/fd with getdents64, no
/// allocation: the kernel has no cheaper way to tell). netmapd uses both to refuse work before a descriptor
/// allocation could fail.
/// </summary>
internal static unsafe partial class DescriptorLimit
{
    private const int RLIMIT_NOFILE = 7;
    private const int O_RDONLY = 0, O_DIRECTORY = 0x10000, O_CLOEXEC = 0x80000;
    private const int SEEK_SET = 0;

    [StructLayout(LayoutKind.Sequential)]
    private struct RLimit { public ulong Current; public ulong Maximum; }

    [LibraryImport("libc.so.6", SetLastError = true)] private static partial int getrlimit(int resource, RLimit* limit);
    [LibraryImport("libc.so.6", SetLastError = true)] private static partial int setrlimit(int resource, RLimit* limit);
    [LibraryImport("libc.so.6", SetLastError = true)] private static partial int open(byte* path, int flags);
    [LibraryImport("libc.so.6", SetLastError = true)] private static partial long lseek(int fd, long offset, int whence);
    [LibraryImport("libc.so.6", SetLastError = true)] private static partial nint getdents64(int fd, byte* buffer, nuint count);

    /// <summary>The soft and hard RLIMIT_NOFILE (int.MaxValue stands for "unlimited").</summary>
    public static (int Soft, int Hard) Get()
    {
        RLimit l;
        if (getrlimit(RLIMIT_NOFILE, &l) != 0) throw SystemError.Last("RLIMIT_NOFILE", "getrlimit");
        return (Clamp(l.Current), Clamp(l.Maximum));
    }

    /// <summary>Raises the soft RLIMIT_NOFILE to the hard one. Returns the limits before and after.</summary>
    public static (int Before, int After) RaiseToHard()
    {
        RLimit l;
        if (getrlimit(RLIMIT_NOFILE, &l) != 0) throw SystemError.Last("RLIMIT_NOFILE", "getrlimit");
        int before = Clamp(l.Current);
        if (l.Current < l.Maximum)
        {
            var raised = new RLimit { Current = l.Maximum, Maximum = l.Maximum };
            if (setrlimit(RLIMIT_NOFILE, &raised) != 0) throw SystemError.Last("RLIMIT_NOFILE", "setrlimit");
        }
        return (before, Get().Soft);
    }

    private static int Clamp(ulong v) => v > int.MaxValue ? int.MaxValue : (int)v;

    /// <summary>A descriptor to hold in reserve (/dev/null): closing it frees one slot when none is left.</summary>
    public static int OpenSpare()
    {
        ReadOnlySpan<byte> path = "/dev/null\0"u8;
        fixed (byte* p = path)
        {
            int fd = open(p, O_RDONLY | O_CLOEXEC);
            if (fd < 0) throw SystemError.Last("/dev/null", "open");
            return fd;
        }
    }

    /// <summary>Opens /proc/self/fd for <see cref="CountOpen"/> (one descriptor, kept by the caller).</summary>
    public static int OpenCounter()
    {
        ReadOnlySpan<byte> path = "/proc/self/fd\0"u8;
        fixed (byte* p = path)
        {
            int fd = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
            if (fd < 0) throw SystemError.Last("/proc/self/fd", "open");
            return fd;
        }
    }

    /// <summary>Descriptors open in this process now, <paramref name="counterFd"/> (from <see cref="OpenCounter"/>)
    /// included; -1 if /proc could not be read. Not thread-safe for one counter descriptor.</summary>
    public static int CountOpen(int counterFd)
    {
        if (lseek(counterFd, 0, SEEK_SET) < 0) return -1;
        const int BufferSize = 16 * 1024;
        byte* buf = stackalloc byte[BufferSize];
        int count = 0;
        while (true)
        {
            nint n = getdents64(counterFd, buf, BufferSize);
            if (n < 0) return -1;
            if (n == 0) return count;
            // struct linux_dirent64 { u64 d_ino; s64 d_off; u16 d_reclen; u8 d_type; char d_name[]; }
            for (nint at = 0; at < n;)
            {
                ushort reclen = *(ushort*)(buf + at + 16);
                if (reclen == 0) return -1;
                byte* name = buf + at + 19;
                if (name[0] != (byte)'.') count++; // "." and ".." are the only names starting with a dot
                at += reclen;
            }
        }
    }
}
