using Netmap.Interop;

namespace Netmap.Tests.Nic.Packet;

/// <summary>The few descriptor operations the AF_PACKET tests need (code inside a namespace: <see cref="NamespaceThread"/>).</summary>
internal static class PacketNetns
{
    /// <summary>if_nametoindex in the calling thread's namespace (0 = none).</summary>
    public static int IndexOf(string dev) => LinkInfo.IndexOf(dev);

    /// <summary>A second descriptor for the same socket, as a client process gets by SCM_RIGHTS.</summary>
    public static int Dup(int fd) => Libc.fcntl_dupfd(fd, Libc.F_DUPFD_CLOEXEC, 0);

    public static void Close(int fd) => Libc.close(fd);
}
