using System.Runtime.ExceptionServices;
using System.Runtime.InteropServices;

namespace Netmap.Interop;

/// <summary>
/// Network namespaces: netmapd opens a client's interfaces in the client's namespace (its sockets, XDP links and
/// TAP devices are then bound there for good), by running the setup on a thread that entered that namespace with
/// setns(2). A namespace is identified by the inode of its /proc/PID/ns/net link.
/// </summary>
internal static unsafe partial class NetNamespace
{
    private const int CLONE_NEWNET = 0x40000000;
    private const int O_RDONLY = 0, O_CLOEXEC = 0x80000;

    [LibraryImport("libc.so.6", SetLastError = true)] private static partial int setns(int fd, int nstype);
    [LibraryImport("libc.so.6", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)] private static partial int open(string path, int flags);
    [LibraryImport("libc.so.6", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)] private static partial int stat(string path, byte* buf);
    [LibraryImport("libc.so.6", SetLastError = true)] private static partial int gettid();

    /// <summary>The namespace of the calling thread.</summary>
    public static ulong OfCurrentThread() => Inode($"/proc/self/task/{gettid()}/ns/net");

    /// <summary>The namespace of process <paramref name="pid"/>, or 0 when it cannot be read (gone, no permission).</summary>
    public static ulong OfProcess(int pid) => Inode($"/proc/{pid}/ns/net");

    private static ulong Inode(string path)
    {
        byte* st = stackalloc byte[144];
        return stat(path, st) == 0 ? *(ulong*)(st + 8) : 0;
    }

    /// <summary>Runs <paramref name="action"/> in the network namespace of <paramref name="pid"/>: inline when the
    /// calling thread is already there, else on a short-lived thread that entered it. Exceptions are rethrown here.</summary>
    public static T RunIn<T>(int pid, string owner, Func<T> action)
    {
        ulong target = OfProcess(pid);
        if (target == 0 || target == OfCurrentThread()) return action();
        return RunInPath($"/proc/{pid}/ns/net", owner, action);
    }

    /// <summary>Runs <paramref name="action"/> on a short-lived thread that entered the namespace at
    /// <paramref name="nsPath"/> (e.g. /run/netns/NAME or /proc/PID/ns/net).</summary>
    public static T RunInPath<T>(string nsPath, string owner, Func<T> action)
    {
        T result = default!;
        ExceptionDispatchInfo? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                Enter(nsPath, owner);
                result = action();
            }
            catch (Exception e) { failure = ExceptionDispatchInfo.Capture(e); }
        }) { IsBackground = true, Name = "netns " + nsPath };
        thread.Start();
        thread.Join();
        failure?.Throw();
        return result;
    }

    /// <summary>A descriptor of the calling thread's network namespace (keeps it reachable for <see cref="RunInFd"/>).</summary>
    public static int OpenCurrent(string owner)
    {
        int fd = open($"/proc/self/task/{gettid()}/ns/net", O_RDONLY | O_CLOEXEC);
        if (fd < 0) throw SystemError.Last(owner, "open the network namespace");
        return fd;
    }

    /// <summary>Runs <paramref name="action"/> in the namespace of descriptor <paramref name="nsFd"/> (from
    /// <see cref="OpenCurrent"/>): inline when the calling thread is there already, else on a short-lived thread.</summary>
    public static T RunInFd<T>(int nsFd, string owner, Func<T> action) => RunInPath($"/proc/self/fd/{nsFd}", owner, action);

    /// <summary>Moves the calling thread into the network namespace at <paramref name="nsPath"/> (for good: use a
    /// thread of its own).</summary>
    public static void Enter(string nsPath, string owner)
    {
        int fd = open(nsPath, O_RDONLY | O_CLOEXEC);
        if (fd < 0) throw SystemError.Last(owner, $"open {nsPath}");
        try
        {
            if (setns(fd, CLONE_NEWNET) != 0) throw SystemError.Last(owner, $"setns {nsPath}");
        }
        finally { Libc.close(fd); }
    }
}
