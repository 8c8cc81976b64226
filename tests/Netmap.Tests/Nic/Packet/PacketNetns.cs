using Netmap.Interop;

namespace Netmap.Tests.Nic.Packet;

/// <summary>Namespace helpers of the AF_PACKET tests: code on a thread inside a named namespace
/// (<see cref="NamespaceThread"/>), and the few descriptor operations the tests need.</summary>
internal static class PacketNetns
{
    public static T Run<T>(string ns, Func<T> action, int timeoutMs = 10_000) => NamespaceThread.Run(ns, action, timeoutMs);

    /// <summary>if_nametoindex in the calling thread's namespace (0 = none).</summary>
    public static int IndexOf(string dev) => LinkInfo.IndexOf(dev);

    /// <summary>A second descriptor for the same socket, as a client process gets by SCM_RIGHTS.</summary>
    public static int Dup(int fd) => Libc.fcntl_dupfd(fd, Libc.F_DUPFD_CLOEXEC, 0);

    public static void Close(int fd) => Libc.close(fd);
}
