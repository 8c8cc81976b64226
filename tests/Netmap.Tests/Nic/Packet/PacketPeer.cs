using System.Net.Sockets;

namespace Netmap.Tests.Nic.Packet;

/// <summary>
/// The far end of the veth, inside its own namespace: a raw AF_PACKET socket bound to the peer interface that sends
/// frames onto the wire and receives what arrives (its own transmissions are ignored, PACKET_IGNORE_OUTGOING).
/// </summary>
internal sealed class PacketPeer : IDisposable
{
    private readonly Socket _socket;

    private PacketPeer(Socket s) => _socket = s;

    public static PacketPeer Open(string ns, string dev) => NamespaceThread.Run(ns, () =>
    {
        int index = PacketNetns.IndexOf(dev);
        if (index == 0) throw new InvalidOperationException($"{dev} not found in {ns}");
        var s = new Socket(AddressFamily.Packet, SocketType.Raw, (ProtocolType)0x0300); // htons(ETH_P_ALL)
        try
        {
            s.SetRawSocketOption(263, 23, BitConverter.GetBytes(1));        // SOL_PACKET, PACKET_IGNORE_OUTGOING
            s.SetRawSocketOption(1, 33, BitConverter.GetBytes(16 << 20));   // SOL_SOCKET, SO_RCVBUFFORCE
            s.SetRawSocketOption(1, 32, BitConverter.GetBytes(16 << 20));   // SOL_SOCKET, SO_SNDBUFFORCE
            s.Bind(new PacketLinkEndPoint(index, 0x0003));
            // Frames queued before the bind may come from other interfaces of the namespace (lo): drop them.
            var scratch = new byte[65536];
            while (s.Poll(0, SelectMode.SelectRead)) s.Receive(scratch);
            return new PacketPeer(s);
        }
        catch { s.Dispose(); throw; }
    });

    public void Send(byte[] frame) => _socket.Send(frame);

    /// <summary>The next frame received within <paramref name="timeoutMs"/>, or null.</summary>
    public byte[]? Receive(int timeoutMs)
    {
        if (!_socket.Poll(TimeSpan.FromMilliseconds(timeoutMs), SelectMode.SelectRead)) return null;
        var buf = new byte[65536];
        int n = _socket.Receive(buf);
        return buf.AsSpan(0, n).ToArray();
    }

    /// <summary>Receives until <paramref name="count"/> test frames (ethertype <see cref="PacketFrames.EtherType"/>)
    /// arrived or nothing came for <paramref name="quietMs"/>; other frames are collected in <paramref name="others"/>.</summary>
    public List<byte[]> ReceiveTestFrames(int count, int quietMs = 1000, List<byte[]>? others = null)
    {
        var got = new List<byte[]>();
        while (got.Count < count)
        {
            var f = Receive(quietMs);
            if (f is null) break;
            if (PacketFrames.IsTestFrame(f)) got.Add(f);
            else others?.Add(f);
        }
        return got;
    }

    public void Dispose() => _socket.Dispose();
}
