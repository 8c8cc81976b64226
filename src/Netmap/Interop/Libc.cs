using System.Runtime.InteropServices;

namespace Netmap.Interop;

/// <summary>
/// Every P/Invoke of the project. libc.so.6 is named exactly to avoid the loader's probe storm.
/// Callers above Interop never see pointers: they go through <see cref="MappedMemory"/>, <see cref="KickLine"/>,
/// <see cref="SeqPacketSocket"/> and friends.
/// </summary>
internal static unsafe partial class Libc
{
    private const string L = "libc.so.6";

    public const int PROT_READ = 1, PROT_WRITE = 2, MAP_SHARED = 1, MAP_PRIVATE = 2, MAP_FIXED = 0x10, MAP_ANONYMOUS = 0x20, MAP_NORESERVE = 0x4000, MAP_POPULATE = 0x8000;
    public const uint MFD_CLOEXEC = 1, MFD_ALLOW_SEALING = 2;
    /// <summary>fcntl seals (memfd): F_ADD_SEALS/F_GET_SEALS and the seal bits.</summary>
    public const int F_ADD_SEALS = 1033, F_GET_SEALS = 1034, F_SEAL_SEAL = 1, F_SEAL_SHRINK = 2, F_SEAL_GROW = 4, F_SEAL_WRITE = 8;
    public const int EFD_NONBLOCK = 0x800, EFD_CLOEXEC = 0x80000;
    public const short POLLIN = 1, POLLOUT = 4, POLLERR = 8, POLLHUP = 0x10, POLLNVAL = 0x20, POLLRDHUP = 0x2000;
    public const int AF_UNIX = 1, SOCK_DGRAM = 2, SOCK_SEQPACKET = 5, SOCK_CLOEXEC = 0x80000, SOCK_NONBLOCK = 0x800;
    public const int SOL_SOCKET = 1, SCM_RIGHTS = 1, SO_PEERCRED = 17, SO_SNDBUF = 7, SO_RCVBUF = 8;
    public const int MSG_DONTWAIT = 0x40, MSG_CMSG_CLOEXEC = 0x40000000, MSG_TRUNC = 0x20, MSG_CTRUNC = 0x8, MSG_NOSIGNAL = 0x4000;
    public const int ENOENT = 2, EINTR = 4, EAGAIN = 11, EMFILE = 24, ENFILE = 23, ECONNRESET = 104, EPIPE = 32, EACCES = 13;

    [StructLayout(LayoutKind.Sequential)]
    public struct PollFd { public int Fd; public short Events; public short Revents; }

    [StructLayout(LayoutKind.Sequential)]
    public struct IoVec { public void* Base; public nuint Len; }

    [StructLayout(LayoutKind.Sequential)]
    public struct MsgHdr
    {
        public void* Name; public uint NameLen; public IoVec* Iov; public nuint IovLen;
        public void* Control; public nuint ControlLen; public int Flags;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct CmsgHdr { public nuint Len; public int Level; public int Type; }

    [StructLayout(LayoutKind.Sequential)]
    public struct UCred { public int Pid; public uint Uid; public uint Gid; }

    [LibraryImport(L, SetLastError = true)] public static partial int memfd_create(byte* name, uint flags);
    [LibraryImport(L, SetLastError = true)] public static partial int ftruncate(int fd, long length);
    [LibraryImport(L, SetLastError = true)] public static partial void* mmap(void* addr, nuint len, int prot, int flags, int fd, long off);
    [LibraryImport(L, SetLastError = true)] public static partial int munmap(void* addr, nuint len);
    [LibraryImport(L, SetLastError = true)] public static partial int close(int fd);
    /// <summary>fcntl(fd, F_DUPFD_CLOEXEC, 0): a close-on-exec duplicate.</summary>
    [LibraryImport(L, EntryPoint = "fcntl", SetLastError = true)] public static partial int fcntl_dupfd(int fd, int cmd, int minFd);
    public const int F_DUPFD_CLOEXEC = 1030, F_GETFL = 3, F_SETFL = 4, O_NONBLOCK = 0x800;
    /// <summary>fcntl(fd, cmd, int arg) for the integer commands (F_GETFL, F_SETFL...).</summary>
    [LibraryImport(L, EntryPoint = "fcntl", SetLastError = true)] public static partial int fcntl(int fd, int cmd, int arg);
    [LibraryImport(L, SetLastError = true)] public static partial nint read(int fd, void* buf, nuint n);
    [LibraryImport(L, SetLastError = true)] public static partial nint write(int fd, void* buf, nuint n);
    [LibraryImport(L, SetLastError = true)] public static partial int eventfd(uint initval, int flags);
    [LibraryImport(L, SetLastError = true)] public static partial nint send(int fd, void* buf, nuint n, int flags);
    [LibraryImport(L, SetLastError = true)] public static partial nint recv(int fd, void* buf, nuint n, int flags);
    [LibraryImport(L, SetLastError = true)] public static partial int poll(PollFd* fds, nuint nfds, int timeoutMs);
    [LibraryImport(L, SetLastError = true)] public static partial int socket(int domain, int type, int protocol);
    [LibraryImport(L, SetLastError = true)] public static partial int socketpair(int domain, int type, int protocol, int* sv);
    [LibraryImport(L, SetLastError = true)] public static partial int bind(int fd, void* addr, uint len);
    [LibraryImport(L, SetLastError = true)] public static partial int listen(int fd, int backlog);
    [LibraryImport(L, SetLastError = true)] public static partial int accept4(int fd, void* addr, void* len, int flags);
    [LibraryImport(L, SetLastError = true)] public static partial int connect(int fd, void* addr, uint len);
    [LibraryImport(L, SetLastError = true)] public static partial nint sendmsg(int fd, MsgHdr* msg, int flags);
    [LibraryImport(L, SetLastError = true)] public static partial nint recvmsg(int fd, MsgHdr* msg, int flags);
    [LibraryImport(L, SetLastError = true)] public static partial int getsockopt(int fd, int level, int opt, void* val, uint* len);
    [LibraryImport(L, SetLastError = true)] public static partial int shutdown(int fd, int how);
    [LibraryImport(L, SetLastError = true)] public static partial int chown(byte* path, uint owner, uint group);
    /// <summary>x86_64 struct stat is 144 bytes: st_dev u64 @0, st_ino u64 @8, st_size i64 @48.</summary>
    [LibraryImport(L, SetLastError = true)] public static partial int fstat(int fd, byte* statbuf);
    [LibraryImport(L, SetLastError = true)] public static partial uint geteuid();
    [LibraryImport(L, SetLastError = true)] public static partial int sched_setaffinity(int pid, nuint size, ulong* mask);
    [LibraryImport(L, SetLastError = true)] public static partial int kill(int pid, int sig);

    public static int LastErrno => Marshal.GetLastPInvokeError();
}
