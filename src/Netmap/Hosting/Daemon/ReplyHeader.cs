using System.Runtime.InteropServices;
using System.Text;

namespace Netmap.Hosting.Daemon;

/// <summary>
/// netmapd's reply envelope: this 24-byte header, then the request message as the engine wrote it back
/// (netmap's structs byte for byte), then <see cref="DetailLength"/> bytes of UTF-8 explaining a refusal.
/// A REGISTER reply carries descriptors with SCM_RIGHTS, in this order: the region memfd, the port's wakeup
/// kick line, (pipes, VALE ports in netmapd) the peer kick line, then (Linux interfaces) <see cref="BackendFds"/>
/// kernel queue descriptors in queue order.
/// </summary>
/// <remarks>
/// <see cref="Sequence"/> numbers the messages a connection received, from 1: a reply names the request it answers,
/// so a request completed later (deferred) can be told from the replies to requests sent after it. Sequence 0 is no
/// reply: netmapd refused the connection (a limit; <see cref="Errno"/> and the detail say which) and has closed it;
/// such a message comes before any reply, with <see cref="MessageLength"/> 0.
/// </remarks>
[StructLayout(LayoutKind.Explicit, Size = 24)]
internal struct ReplyHeader
{
    public const int Size = 24;
    public const int MaxDetail = 512;
    /// <summary>The longest reply: header, the longest request written back, the longest detail.</summary>
    public const int MaxReply = Size + Engine.RequestMessage.MaxSize + MaxDetail;

    /// <summary>0 or the errno of the request.</summary>
    [FieldOffset(0)] public int Errno;
    /// <summary>Sync token of the registration (REGISTER only).</summary>
    [FieldOffset(4)] public uint Token;
    [FieldOffset(8)] public int MessageLength;
    [FieldOffset(12)] public int DetailLength;
    /// <summary>How many of the descriptors are kernel queue descriptors (the last ones).</summary>
    [FieldOffset(16)] public int BackendFds;
    /// <summary>The request answered (1 = the connection's first message); 0 = the connection was refused.</summary>
    [FieldOffset(20)] public uint Sequence;

    /// <summary>Writes header + <paramref name="message"/> + <paramref name="detail"/> (cut to <see cref="MaxDetail"/>
    /// bytes) into <paramref name="into"/> (at least <see cref="Size"/> + message + <see cref="MaxDetail"/> bytes);
    /// returns the length.</summary>
    public static int Write(Span<byte> into, Errno errno, uint sequence, uint token, int backendFds, ReadOnlySpan<byte> message, string? detail)
    {
        int detailLen = string.IsNullOrEmpty(detail) ? 0 : EncodeTruncated(detail, into.Slice(Size + message.Length, MaxDetail));
        var h = new ReplyHeader { Errno = (int)errno, Token = token, MessageLength = message.Length, DetailLength = detailLen, BackendFds = backendFds, Sequence = sequence };
        MemoryMarshal.Write(into, in h);
        message.CopyTo(into[Size..]);
        return Size + message.Length + detailLen;
    }

    /// <summary>UTF-8 of <paramref name="s"/>, cut at a character boundary to fit <paramref name="into"/>.</summary>
    public static int EncodeTruncated(string s, Span<byte> into)
    {
        if (Encoding.UTF8.GetByteCount(s) <= into.Length) return Encoding.UTF8.GetBytes(s, into);
        var all = Encoding.UTF8.GetBytes(s);
        int cut = into.Length;
        while (cut > 0 && (all[cut] & 0xC0) == 0x80) cut--; // all[cut] starts the first character left out
        all.AsSpan(0, cut).CopyTo(into);
        return cut;
    }
}
