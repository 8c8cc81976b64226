using System.Net;
using System.Net.Sockets;

namespace Netmap.Tests.Nic.Packet;

/// <summary>A sockaddr_ll for binding a managed AF_PACKET socket to an interface and protocol.</summary>
internal sealed class PacketLinkEndPoint(int ifIndex, ushort protocol) : EndPoint
{
    public override AddressFamily AddressFamily => AddressFamily.Packet;

    public override SocketAddress Serialize()
    {
        var sa = new SocketAddress(AddressFamily.Packet, 20); // bytes 0-1 (family) are filled in by the runtime
        sa[2] = (byte)(protocol >> 8); sa[3] = (byte)protocol; // big-endian
        sa[4] = (byte)ifIndex; sa[5] = (byte)(ifIndex >> 8); sa[6] = (byte)(ifIndex >> 16); sa[7] = (byte)(ifIndex >> 24);
        return sa;
    }

    public override EndPoint Create(SocketAddress sa) =>
        new PacketLinkEndPoint(sa[4] | sa[5] << 8 | sa[6] << 16 | sa[7] << 24, (ushort)(sa[2] << 8 | sa[3]));
}
