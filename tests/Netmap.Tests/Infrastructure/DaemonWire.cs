using System.Runtime.InteropServices;
using System.Text;
using Netmap.Abi;
using Netmap.Engine;
using Netmap.Hosting.Daemon;
using Netmap.Interop;

namespace Netmap.Tests.Infrastructure;

/// <summary>netmapd's protocol spoken by hand (tests of the server's rules): requests built from the Abi structs,
/// replies read into their header, detail and descriptors.</summary>
public static class DaemonWire
{
    public static byte[] PortInfoGet(string name = "")
    {
        var m = new byte[NmReqHeader.Size + NmReqPortInfoGet.Size];
        ref var h = ref RequestMessage.Header(m);
        h.Version = NetmapConstants.Api; h.RequestType = RequestType.PortInfoGet; h.Body = NmReqHeader.Size;
        h.TrySetName(name);
        return m;
    }

    public static byte[] Register(string name, RegisterFlags flags = RegisterFlags.None)
    {
        var m = new byte[NmReqHeader.Size + NmReqRegister.Size];
        ref var h = ref RequestMessage.Header(m);
        h.Version = NetmapConstants.Api; h.RequestType = RequestType.Register; h.Body = NmReqHeader.Size;
        h.TrySetName(name);
        ref var r = ref RequestMessage.At<NmReqRegister>(m, NmReqHeader.Size);
        r.Mode = RegisterMode.AllNic;
        r.Flags = flags;
        return m;
    }

    /// <summary>One reply as read from the socket.</summary>
    internal readonly record struct Reply(ReplyHeader Header, string Detail, int Descriptors)
    {
        public Errno Errno => (Errno)Header.Errno;
        public uint Sequence => Header.Sequence;
    }

    /// <summary>Receives one reply (blocking), closing the descriptors that came with it. Fails on anything malformed.</summary>
    internal static Reply Receive(SeqPacketSocket s)
    {
        var buf = new byte[ReplyHeader.MaxReply];
        Span<int> fds = stackalloc int[SeqPacketSocket.MaxFds];
        int n = s.Receive(buf, fds, out int nfds);
        if (n == -Libc.ECONNRESET) n = s.Receive(buf, fds, out nfds, dontWait: true);
        for (int i = 0; i < nfds; i++) SeqPacketSocket.CloseFd(fds[i]);
        if (n < ReplyHeader.Size) throw new InvalidOperationException($"reply of {n} bytes");
        var h = MemoryMarshal.Read<ReplyHeader>(buf);
        if (ReplyHeader.Size + h.MessageLength + h.DetailLength != n) throw new InvalidOperationException($"malformed reply: {h.MessageLength}+{h.DetailLength} in {n}");
        return new Reply(h, Encoding.UTF8.GetString(buf, ReplyHeader.Size + h.MessageLength, h.DetailLength), nfds);
    }

    /// <summary>Sends <paramref name="message"/> and receives the reply; a send failing because the daemon already
    /// closed a refused connection still yields its refusal.</summary>
    internal static Reply Exchange(SeqPacketSocket s, byte[] message, ReadOnlySpan<int> withFds = default)
    {
        int err = s.Send(message, withFds);
        if (err != 0 && err != Libc.EPIPE) throw new InvalidOperationException($"send: {SystemError.Name(err)}");
        return Receive(s);
    }
}
