using System.Runtime.InteropServices;

namespace Netmap.Interop;

/// <summary>struct epoll_event as x86-64 lays it out (packed: 12 bytes): the event mask and the caller's 64-bit tag.</summary>
[StructLayout(LayoutKind.Sequential, Pack = 1)]
internal struct EpollEvent
{
    public const uint In = 0x1, Out = 0x4, Error = 0x8, Hangup = 0x10, ReadHangup = 0x2000, OneShot = 1u << 30;

    public uint Events;
    public ulong Data;
}
