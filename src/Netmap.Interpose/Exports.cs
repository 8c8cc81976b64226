using System.Runtime.InteropServices;
using Netmap.Adapters;
using Netmap.Hosting.Daemon;
using Netmap.Interop;

namespace Netmap.Interpose;

/// <summary>
/// The C entry points of Netmap.Interpose.so, called by libnetmap-interpose.so (native/interposer/runtime.c, which
/// declares the same signatures). Contract for every function: never throws into C (a failure is a return value and,
/// where there is an <c>err</c> buffer, a NUL-terminated message naming the port and the cause); handles are
/// <see cref="GCHandle"/>s of <see cref="InterposedPort"/>, valid until <see cref="Unbind"/>.
/// Descriptors passed in stay the caller's (the interposer keeps them open while the handle lives).
/// </summary>
public static class Exports
{
    /// <summary>Opens a connection to netmapd found the way every C# client finds it (<see cref="DaemonLocator.Discover"/>:
    /// NETMAP_SOCKET, the per-user and system sockets, the trust checks). Returns the connected descriptor
    /// (close-on-exec set), -ECONNREFUSED when nothing listens (the caller then runs <see cref="StartCommand"/> itself
    /// and retries), or another -errno with a message.</summary>
    [UnmanagedCallersOnly(EntryPoint = "nmi_connect")]
    public static int Connect(nint err, int errLen)
    {
        try
        {
            var channel = DaemonLocator.Discover(null, out _);
            if (channel is null) return -(int)Errno.ECONNREFUSED;
            return channel.HangupFd; // ownership moves to the caller: the channel is dropped without Dispose
        }
        catch (NetmapException e) { WriteError(err, errLen, e.Message); return -(int)(e.Errno == 0 ? Errno.EIO : e.Errno); }
        catch (Exception e) { WriteError(err, errLen, "netmapd: " + e.Message); return -(int)Errno.EIO; }
    }

    /// <summary>The autostart command (<see cref="DaemonLocator.StartCommand"/>) as NUL-separated arguments ending with an
    /// empty one, executable first. Returns the argument count, or -errno with a message (autostart forbidden, no
    /// executable, buffer too small). The interposer spawns it itself: a C program must not get .NET's child-process
    /// handling (SIGCHLD) nor a daemon that inherits the blocked signal mask of the calling thread.</summary>
    [UnmanagedCallersOnly(EntryPoint = "nmi_start_command")]
    public static int StartCommand(nint buf, int len, nint err, int errLen)
    {
        try
        {
            var args = DaemonLocator.StartCommand(DaemonLocator.SocketPath);
            var bytes = System.Text.Encoding.UTF8.GetBytes(string.Join('\0', args) + "\0\0");
            if (bytes.Length > len) { WriteError(err, errLen, "netmapd command line too long"); return -(int)Errno.E2BIG; }
            Marshal.Copy(bytes, 0, buf, bytes.Length);
            return args.Length;
        }
        catch (NetmapException e) { WriteError(err, errLen, e.Message); return -(int)e.Errno; }
        catch (Exception e) { WriteError(err, errLen, "netmapd: " + e.Message); return -(int)Errno.EIO; }
    }

    /// <summary>True (1) when <paramref name="path"/> is a socket the search connects to: how the interposer recognises
    /// an inherited or received netmap descriptor by its peer's address.</summary>
    [UnmanagedCallersOnly(EntryPoint = "nmi_is_daemon_path")]
    public static int IsDaemonPath(nint path)
    {
        try { return Marshal.PtrToStringUTF8(path) is { } p && DaemonLocator.IsDiscoveredPath(p) ? 1 : 0; }
        catch (Exception) { return 0; }
    }

    /// <summary>The socket an autostart would use (NETMAP_SOCKET, else the per-user one): where a fork child whose runtime
    /// is gone connects when it has seen no other. Returns the byte length written (NUL-terminated), or -1 when it
    /// does not fit.</summary>
    [UnmanagedCallersOnly(EntryPoint = "nmi_socket_path")]
    public static int SocketPath(nint buf, int len)
    {
        try
        {
            byte[] p = System.Text.Encoding.UTF8.GetBytes(DaemonLocator.SocketPath);
            if (p.Length + 1 > len) return -1;
            Marshal.Copy(p, 0, buf, p.Length);
            Marshal.WriteByte(buf, p.Length, 0);
            return p.Length;
        }
        catch (Exception) { return -1; }
    }

    /// <summary>Builds the ring handles of a registration (what <c>NetmapPort</c> builds from its REGISTER reply) over
    /// this library's own mapping of <paramref name="memFd"/>. Returns a handle, or 0 with a message.</summary>
    [UnmanagedCallersOnly(EntryPoint = "nmi_bind")]
    public static nint Bind(int memFd, long memSize, long nifpOffset, int kickFd, int peerKickFd, nint backendFds, int backendCount,
        uint token, int txPoll, nint name, nint err, int errLen)
    {
        string owner = "netmap";
        try
        {
            owner = Marshal.PtrToStringUTF8(name) ?? owner;
            if (backendCount < 0 || backendCount > SeqPacketSocket.MaxFds) { WriteError(err, errLen, $"{owner}: {backendCount} kernel queues"); return 0; }
            var queues = new int[backendCount];
            if (backendCount > 0) Marshal.Copy(backendFds, queues, 0, backendCount);
            return GCHandle.ToIntPtr(GCHandle.Alloc(InterposedPort.Open(memFd, memSize, nifpOffset, kickFd, peerKickFd, queues, token, txPoll != 0, owner)));
        }
        catch (Exception e)
        {
            WriteError(err, errLen, e is NetmapException ? e.Message : $"{owner}: {e.Message}");
            return 0;
        }
    }

    /// <summary>NIOCTXSYNC. 1, or 0 when a ring had to be reinitialised (the ioctl still succeeds, as netmap's).</summary>
    [UnmanagedCallersOnly(EntryPoint = "nmi_txsync")]
    public static int TxSync(nint handle)
    {
        try { return Port(handle).Binding.TxSync() ? 1 : 0; }
        catch (Exception) { return 0; }
    }

    /// <summary>NIOCRXSYNC. 1, or 0 when a ring had to be reinitialised.</summary>
    [UnmanagedCallersOnly(EntryPoint = "nmi_rxsync")]
    public static int RxSync(nint handle)
    {
        try { return Port(handle).Binding.RxSync() ? 1 : 0; }
        catch (Exception) { return 0; }
    }

    /// <summary>One poll() round for POLLIN/POLLOUT <paramref name="events"/>: syncs and returns the ready bits
    /// (POLLIN, POLLOUT, POLLERR). <paramref name="mode"/> 0 checks; 1 arms the wakeup first (left armed when nothing is
    /// ready: then sleep on the port's descriptors); 2 disarms, then checks (the last scan of a poll that timed out).</summary>
    [UnmanagedCallersOnly(EntryPoint = "nmi_check")]
    public static int Check(nint handle, int events, int mode)
    {
        try
        {
            var b = Port(handle).Binding;
            var e = (PortEvents)(events & (int)(PortEvents.In | PortEvents.Out));
            if (mode == 1) return (int)b.PrepareWait(e);
            if (mode == 2) b.Arm(e, false);
            return (int)b.SyncAndCheck(e);
        }
        catch (Exception) { return (int)PortEvents.Error; }
    }

    /// <summary>Resets the port's kick descriptor after a sleeper found it readable.</summary>
    [UnmanagedCallersOnly(EntryPoint = "nmi_drain")]
    public static void Drain(nint handle)
    {
        try { Port(handle).Binding.DrainKick(); }
        catch (Exception) { }
    }

    /// <summary>How long a poll() should spin re-checking before it arms and sleeps (what NetmapPort.Poll does), ns.</summary>
    [UnmanagedCallersOnly(EntryPoint = "nmi_spin_ns")]
    public static long SpinNanoseconds(nint handle)
    {
        try { return Port(handle).Binding.SpinTicks * 1_000_000_000L / System.Diagnostics.Stopwatch.Frequency; }
        catch (Exception) { return 0; }
    }

    /// <summary>Drops the handle: backends disposed, the mapping released.</summary>
    [UnmanagedCallersOnly(EntryPoint = "nmi_unbind")]
    public static void Unbind(nint handle)
    {
        try
        {
            var h = GCHandle.FromIntPtr(handle);
            (h.Target as InterposedPort)?.Dispose();
            h.Free();
        }
        catch (Exception) { }
    }

    private static InterposedPort Port(nint handle) => (InterposedPort)GCHandle.FromIntPtr(handle).Target!;

    private static void WriteError(nint err, int errLen, string message)
    {
        if (err == 0 || errLen <= 0) return;
        byte[] b = System.Text.Encoding.UTF8.GetBytes(message);
        int n = Math.Min(b.Length, errLen - 1);
        Marshal.Copy(b, 0, err, n);
        Marshal.WriteByte(err, n, 0);
    }
}
