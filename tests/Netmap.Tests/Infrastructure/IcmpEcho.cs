using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Netmap.Interop;

namespace Netmap.Tests.Infrastructure;

/// <summary>
/// ICMP echo without the ping program: a raw IPv4 ICMP socket (root, or CAP_NET_RAW) opened on a thread that entered
/// the namespace, so it sends and receives there for good. Requests carry a random identifier and payload; a reply
/// counts when it comes from the address asked, with that identifier, an unanswered sequence number and the payload
/// intact (a raw socket sees every ICMP message of its namespace, other pings' replies included).
/// No process is started, and nothing here depends on ping_group_range (which is off in new namespaces).
/// </summary>
public static class IcmpEcho
{
    private const int PayloadLength = 56; // ping(8)'s default
    private const byte EchoReply = 0, EchoRequest = 8;

    /// <summary>
    /// Like <c>ping -c count -i interval -W timeout</c> in <paramref name="ns"/> (null = the test's namespace): sends
    /// <paramref name="count"/> echo requests <paramref name="intervalMs"/> apart, and returns once every one was
    /// answered or <paramref name="timeoutMs"/> after the last request.
    /// </summary>
    public static PingResult Run(string? ns, IPAddress address, int count = 1, int intervalMs = 200, int timeoutMs = 1000)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(intervalMs);
        ArgumentOutOfRangeException.ThrowIfNegative(timeoutMs);
        if (address.AddressFamily != AddressFamily.InterNetwork) throw new ArgumentException($"{address}: IPv4 only", nameof(address));
        using var socket = ns is null ? Open() : NetNamespace.RunInPath($"/run/netns/{ns}", ns, Open);

        ushort id = (ushort)Random.Shared.Next(1, 0x10000);
        var payload = new byte[PayloadLength];
        Random.Shared.NextBytes(payload);
        var answered = new bool[count];
        var target = new IPEndPoint(address, 0);
        var request = new byte[8 + PayloadLength];
        var buffer = new byte[65536];
        int sent = 0, replies = 0;
        string? error = null;
        long start = Environment.TickCount64, lastSend = start;
        while (true)
        {
            long now = Environment.TickCount64;
            if (sent < count && now >= start + (long)sent * intervalMs)
            {
                Build(request, id, (ushort)sent, payload);
                try { socket.SendTo(request, target); }
                catch (SocketException e) { error = $"sendto: {e.SocketErrorCode}"; }
                sent++;
                lastSend = now;
                continue;
            }
            if (replies == count) break;
            long until = sent < count ? start + (long)sent * intervalMs : lastSend + timeoutMs;
            if (now >= until)
            {
                if (sent == count) break;
                continue;
            }
            if (!socket.Poll(TimeSpan.FromMilliseconds(until - now), SelectMode.SelectRead)) continue;
            int n;
            try { n = socket.Receive(buffer); }
            catch (SocketException e) { error = $"recv: {e.SocketErrorCode}"; continue; }
            int seq = MatchReply(buffer.AsSpan(0, n), address, id, payload);
            if (seq >= 0 && seq < sent && !answered[seq]) { answered[seq] = true; replies++; }
        }
        return new PingResult(ns, address, sent, replies, error);
    }

    /// <summary><see cref="Run"/> on a thread of its own, for pings that go on while the test does something else.</summary>
    public static Task<PingResult> RunAsync(string? ns, IPAddress address, int count = 1, int intervalMs = 200, int timeoutMs = 1000)
        => Task.Factory.StartNew(() => Run(ns, address, count, intervalMs, timeoutMs), CancellationToken.None,
            TaskCreationOptions.LongRunning, TaskScheduler.Default);

    private static Socket Open() => new(AddressFamily.InterNetwork, SocketType.Raw, ProtocolType.Icmp);

    /// <summary>An echo request: type 8, code 0, checksum, identifier, sequence number, payload.</summary>
    private static void Build(byte[] icmp, ushort id, ushort seq, byte[] payload)
    {
        icmp[0] = EchoRequest;
        icmp[1] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(icmp.AsSpan(2), 0);
        BinaryPrimitives.WriteUInt16BigEndian(icmp.AsSpan(4), id);
        BinaryPrimitives.WriteUInt16BigEndian(icmp.AsSpan(6), seq);
        payload.CopyTo(icmp, 8);
        BinaryPrimitives.WriteUInt16BigEndian(icmp.AsSpan(2), Checksum(icmp));
    }

    /// <summary>The sequence number of <paramref name="packet"/> (an IPv4 datagram, as a raw socket returns it) when
    /// it is our echo reply from <paramref name="from"/>, else -1.</summary>
    private static int MatchReply(ReadOnlySpan<byte> packet, IPAddress from, ushort id, byte[] payload)
    {
        if (packet.Length < 20 || packet[0] >> 4 != 4 || packet[9] != (byte)ProtocolType.Icmp) return -1;
        int ihl = (packet[0] & 0xf) * 4;
        if (ihl < 20 || packet.Length < ihl + 8 + payload.Length) return -1;
        if (!new IPAddress(packet.Slice(12, 4)).Equals(from)) return -1;
        var icmp = packet[ihl..];
        if (icmp[0] != EchoReply || icmp[1] != 0 || BinaryPrimitives.ReadUInt16BigEndian(icmp[4..]) != id) return -1;
        if (!icmp.Slice(8, payload.Length).SequenceEqual(payload)) return -1;
        return BinaryPrimitives.ReadUInt16BigEndian(icmp[6..]);
    }

    /// <summary>The Internet checksum (RFC 1071) of <paramref name="data"/>.</summary>
    internal static ushort Checksum(ReadOnlySpan<byte> data)
    {
        uint sum = 0;
        int i = 0;
        for (; i + 1 < data.Length; i += 2) sum += BinaryPrimitives.ReadUInt16BigEndian(data[i..]);
        if (i < data.Length) sum += (uint)data[i] << 8;
        while (sum >> 16 != 0) sum = (sum & 0xffff) + (sum >> 16);
        return (ushort)~sum;
    }
}
