using System.Text;

namespace Netmap.Interop;

/// <summary>
/// An AF_UNIX SOCK_SEQPACKET socket driven with raw syscalls (never through System.Net.Sockets, which would
/// silently make it non-blocking). Carries one request or reply per message, with descriptors via SCM_RIGHTS.
/// </summary>
internal sealed unsafe class SeqPacketSocket : IDisposable
{
    public const int MaxFds = 16;

    public SeqPacketSocket(int fd) => Fd = fd;

    public int Fd { get; private set; }

    public static SeqPacketSocket Connect(string path)
    {
        int fd = Libc.socket(Libc.AF_UNIX, Libc.SOCK_SEQPACKET | Libc.SOCK_CLOEXEC, 0);
        if (fd < 0) throw SystemError.Last(path, "socket");
        var addr = SockAddr(path, out uint len);
        fixed (byte* a = addr)
        {
            if (Libc.connect(fd, a, len) != 0) { var e = SystemError.Last(path, "connect"); Libc.close(fd); throw e; }
        }
        return new SeqPacketSocket(fd);
    }

    /// <summary>Binds <paramref name="path"/> and listens. <paramref name="nonBlocking"/>: accept never waits (an
    /// event loop's listener).</summary>
    public static SeqPacketSocket Listen(string path, int backlog = 128, bool nonBlocking = false)
    {
        int fd = Libc.socket(Libc.AF_UNIX, Libc.SOCK_SEQPACKET | Libc.SOCK_CLOEXEC | (nonBlocking ? Libc.SOCK_NONBLOCK : 0), 0);
        if (fd < 0) throw SystemError.Last(path, "socket");
        var addr = SockAddr(path, out uint len);
        fixed (byte* a = addr)
        {
            if (Libc.bind(fd, a, len) != 0) { var e = SystemError.Last(path, "bind"); Libc.close(fd); throw e; }
        }
        if (Libc.listen(fd, backlog) != 0) { var e = SystemError.Last(path, "listen"); Libc.close(fd); throw e; }
        return new SeqPacketSocket(fd);
    }

    /// <summary>Creates a connected pair (used by tests and by the embedded host's fd-less loopback).</summary>
    public static (SeqPacketSocket, SeqPacketSocket) Pair()
    {
        int* sv = stackalloc int[2];
        if (Libc.socketpair(Libc.AF_UNIX, Libc.SOCK_SEQPACKET | Libc.SOCK_CLOEXEC, 0, sv) != 0) throw SystemError.Last("socketpair", "socketpair");
        return (new SeqPacketSocket(sv[0]), new SeqPacketSocket(sv[1]));
    }

    /// <summary>Accepts one connection; null on EAGAIN/EINTR.</summary>
    public SeqPacketSocket? Accept()
    {
        int c = Libc.accept4(Fd, null, null, Libc.SOCK_CLOEXEC);
        if (c < 0) return null;
        return new SeqPacketSocket(c);
    }

    /// <summary>Accepts one connection as a non-blocking, close-on-exec socket: its descriptor, or -errno (EAGAIN when
    /// none is waiting, EMFILE/ENFILE when no descriptor is left).</summary>
    public int AcceptNonBlocking()
    {
        while (true)
        {
            int c = Libc.accept4(Fd, null, null, Libc.SOCK_CLOEXEC | Libc.SOCK_NONBLOCK);
            if (c >= 0) return c;
            int e = Libc.LastErrno;
            if (e != Libc.EINTR) return -e;
        }
    }

    /// <summary>Credentials of the peer (SO_PEERCRED).</summary>
    public (int Pid, uint Uid, uint Gid) PeerCredentials()
    {
        Libc.UCred cred;
        uint len = (uint)sizeof(Libc.UCred);
        if (Libc.getsockopt(Fd, Libc.SOL_SOCKET, Libc.SO_PEERCRED, &cred, &len) != 0) return (-1, uint.MaxValue, uint.MaxValue);
        return (cred.Pid, cred.Uid, cred.Gid);
    }

    /// <summary>Sends one message with optional descriptors. Returns 0 or an errno (EAGAIN: the peer's queue is full
    /// and <paramref name="dontWait"/> was set).</summary>
    public int Send(ReadOnlySpan<byte> data, ReadOnlySpan<int> fds, bool dontWait = false)
    {
        if (fds.Length > MaxFds) return 7; // E2BIG
        fixed (byte* d = data)
        {
            Libc.IoVec iov = new() { Base = d, Len = (nuint)data.Length };
            int cmsgLen = 16 + 4 * fds.Length, space = (cmsgLen + 7) & ~7;
            byte* ctl = stackalloc byte[16 + 4 * MaxFds + 8];
            Libc.MsgHdr m = new() { Iov = &iov, IovLen = 1 };
            if (fds.Length > 0)
            {
                new Span<byte>(ctl, space).Clear();
                ((Libc.CmsgHdr*)ctl)->Len = (nuint)cmsgLen;
                ((Libc.CmsgHdr*)ctl)->Level = Libc.SOL_SOCKET;
                ((Libc.CmsgHdr*)ctl)->Type = Libc.SCM_RIGHTS;
                for (int i = 0; i < fds.Length; i++) ((int*)(ctl + 16))[i] = fds[i];
                m.Control = ctl; m.ControlLen = (nuint)space;
            }
            while (true)
            {
                nint r = Libc.sendmsg(Fd, &m, Libc.MSG_NOSIGNAL | (dontWait ? Libc.MSG_DONTWAIT : 0));
                if (r >= 0) return 0;
                int e = Libc.LastErrno;
                if (e != Libc.EINTR) return e;
            }
        }
    }

    /// <summary>
    /// Receives one message into <paramref name="buffer"/> and up to MaxFds descriptors into <paramref name="fds"/>.
    /// Returns the byte count (0 = peer closed), or -errno. A truncated message returns -EMSGSIZE; received
    /// descriptors are always closed unless returned through <paramref name="fdCount"/>.
    /// </summary>
    public int Receive(Span<byte> buffer, Span<int> fds, out int fdCount, bool dontWait = false)
    {
        fdCount = 0;
        fixed (byte* d = buffer)
        {
            Libc.IoVec iov = new() { Base = d, Len = (nuint)buffer.Length };
            int space = 16 + 4 * MaxFds + 8;
            byte* ctl = stackalloc byte[space];
            Libc.MsgHdr m = new() { Iov = &iov, IovLen = 1, Control = ctl, ControlLen = (nuint)space };
            nint r;
            while (true)
            {
                r = Libc.recvmsg(Fd, &m, Libc.MSG_CMSG_CLOEXEC | (dontWait ? Libc.MSG_DONTWAIT : 0));
                if (r >= 0) break;
                int e = Libc.LastErrno;
                if (e != Libc.EINTR) return -e;
            }
            // Walk the control messages; keep what fits in fds, close the rest.
            byte* p = ctl;
            byte* end = ctl + (long)m.ControlLen;
            while (p + 16 <= end)
            {
                var h = (Libc.CmsgHdr*)p;
                if (h->Len < 16 || p + (long)h->Len > end) break;
                if (h->Level == Libc.SOL_SOCKET && h->Type == Libc.SCM_RIGHTS)
                {
                    int n = (int)((long)h->Len - 16) / 4;
                    for (int i = 0; i < n; i++)
                    {
                        int fd = ((int*)(p + 16))[i];
                        if (fdCount < fds.Length) fds[fdCount++] = fd; else Libc.close(fd);
                    }
                }
                p += ((long)h->Len + 7) & ~7L;
            }
            if ((m.Flags & Libc.MSG_TRUNC) != 0)
            {
                for (int i = 0; i < fdCount; i++) Libc.close(fds[i]);
                fdCount = 0;
                return -90; // EMSGSIZE
            }
            return (int)r;
        }
    }

    /// <summary>shutdown(SHUT_WR): tells the peer we are done; reading still works.</summary>
    public void ShutdownWrite() { if (Fd >= 0) Libc.shutdown(Fd, 1); }

    public static void CloseFd(int fd) { if (fd >= 0) Libc.close(fd); }

    public void Dispose()
    {
        if (Fd >= 0) { Libc.close(Fd); Fd = -1; }
    }

    private static byte[] SockAddr(string path, out uint len)
    {
        var p = Encoding.UTF8.GetBytes(path);
        if (p.Length >= 108) throw new NetmapException(Errno.ENAMETOOLONG, $"{path}: socket path longer than 107 bytes");
        var a = new byte[110];
        a[0] = Libc.AF_UNIX;
        p.CopyTo(a, 2);
        len = (uint)(2 + p.Length + 1);
        return a;
    }
}
