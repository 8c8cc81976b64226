using System.Net;
using System.Net.Sockets;

namespace Netmap.Tests.Nic.Xdp;

/// <summary>
/// The far end of the veth, inside its namespace: a raw AF_PACKET socket (opened by a thread that entered the
/// namespace, so it lives there) bound to the peer interface for the test ethertype only. Sends test frames onto
/// the wire and receives what arrives; its own transmissions are ignored (PACKET_IGNORE_OUTGOING).
/// </summary>
internal sealed class XdpPeer : IDisposable
{
    private readonly Socket _socket;
    private readonly byte[] _scratch = new byte[65536];

    private XdpPeer(Socket s) => _socket = s;

    public static XdpPeer Open(string ns, string dev) => NamespaceThread.Run(ns, () =>
    {
        int index = Netmap.Interop.LinkInfo.IndexOf(dev);
        if (index == 0) throw new InvalidOperationException($"{dev} not found in {ns}");
        var s = new Socket(AddressFamily.Packet, SocketType.Raw, (ProtocolType)XdpFrames.EtherTypeNetworkOrder);
        try
        {
            s.SetRawSocketOption(263, 23, BitConverter.GetBytes(1));        // SOL_PACKET, PACKET_IGNORE_OUTGOING
            s.SetRawSocketOption(1, 33, BitConverter.GetBytes(16 << 20));   // SOL_SOCKET, SO_RCVBUFFORCE
            s.Bind(new LinkEndPoint(index, XdpFrames.EtherType));
            while (s.Poll(0, SelectMode.SelectRead)) s.Receive(new byte[65536]);
            return new XdpPeer(s);
        }
        catch { s.Dispose(); throw; }
    });

    public void Send(byte[] frame) => _socket.Send(frame);

    /// <summary>The next frame within <paramref name="timeoutMs"/>, or null.</summary>
    public byte[]? Receive(int timeoutMs)
    {
        if (!_socket.Poll(TimeSpan.FromMilliseconds(timeoutMs), SelectMode.SelectRead)) return null;
        int n = _socket.Receive(_scratch);
        return _scratch.AsSpan(0, n).ToArray();
    }

    /// <summary>Receives until <paramref name="count"/> frames arrived or nothing came for <paramref name="quietMs"/>.</summary>
    public List<byte[]> ReceiveMany(int count, int quietMs = 1000)
    {
        var got = new List<byte[]>();
        while (got.Count < count && Receive(quietMs) is { } f) got.Add(f);
        return got;
    }

    public void Dispose() => _socket.Dispose();

    /// <summary>sockaddr_ll for bind: interface and protocol.</summary>
    private sealed class LinkEndPoint(int ifIndex, ushort protocol) : EndPoint
    {
        public override AddressFamily AddressFamily => AddressFamily.Packet;

        public override SocketAddress Serialize()
        {
            var sa = new SocketAddress(AddressFamily.Packet, 20);
            sa[2] = (byte)(protocol >> 8); sa[3] = (byte)protocol;
            sa[4] = (byte)ifIndex; sa[5] = (byte)(ifIndex >> 8); sa[6] = (byte)(ifIndex >> 16); sa[7] = (byte)(ifIndex >> 24);
            return sa;
        }

        public override EndPoint Create(SocketAddress sa) => new LinkEndPoint(sa[4] | sa[5] << 8 | sa[6] << 16 | sa[7] << 24, (ushort)(sa[2] << 8 | sa[3]));
    }
}
