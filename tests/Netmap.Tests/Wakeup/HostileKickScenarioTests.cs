using System.Diagnostics;
using Netmap.Api;
using Netmap.Hosting;
using Netmap.Interop;
using Netmap.Tests.Infrastructure;

namespace Netmap.Tests.Wakeup;

// Test objective: what a client does to the wakeup descriptors netmapd gave it cannot block netmapd's VALE worker or
// a pipe sender. The hostile side makes its descriptors blocking (shared open file descriptions), never drains them,
// keeps NeedKick armed on every ring and shuts its peer line down; the well-behaved ports keep moving every frame,
// the hostile port closes promptly and netmapd keeps serving.
public sealed class HostileKickScenarioTests : IClassFixture<DaemonFixture>
{
    private readonly DaemonFixture _daemon;

    public HostileKickScenarioTests(DaemonFixture daemon) => _daemon = daemon;

    private static void MakeBlocking(int fd) => Libc.fcntl(fd, Libc.F_SETFL, Libc.fcntl(fd, Libc.F_GETFL, 0) & ~Libc.O_NONBLOCK);

    /// <summary>What broke the eventfd design: 2^64-2 written into the descriptor, so that the next write(2) of a waker
    /// blocks. On a kick line this is just one datagram towards the line's other end.</summary>
    private static void WriteSaturatingCounter(int fd)
    {
        using var f = new FileStream(new Microsoft.Win32.SafeHandles.SafeFileHandle(fd, ownsHandle: false), FileAccess.Write, 1);
        f.Write(BitConverter.GetBytes(0xffff_ffff_ffff_fffeUL));
    }

    private static byte[] Broadcast(int seq)
    {
        var f = new byte[60];
        f.AsSpan(0, 6).Fill(0xff);
        f[6] = 0x02; f[11] = 0x01;
        BitConverter.TryWriteBytes(f.AsSpan(20), seq);
        return f;
    }

    [Fact]
    public void ValeWorker_KeepsForwarding_WhileAHostilePortNeverDrainsItsBlockingKickLine()
    {
        var host = NetmapHost.Daemon(_daemon.SocketPath);
        using var hostile = NetmapPort.Open("valek1:h", host);
        MakeBlocking(hostile.FileDescriptor);
        WriteSaturatingCounter(hostile.FileDescriptor);
        using var rx = NetmapPort.Open("valek1:b", host);
        using var tx = NetmapPort.Open("valek1:a", host);
        const int frames = 20_000;
        int sent = 0, received = 0;
        var clock = Stopwatch.StartNew();
        while (received < frames && clock.ElapsedMilliseconds < 30_000)
        {
            hostile.PrepareWait(PollEvents.In); // armed forever, never drained, never consumed
            // VALE has no back-pressure: keep what is in flight below the receiver's ring, so nothing is dropped.
            if (sent < frames && sent - received < 256 && tx.Inject(Broadcast(sent))) sent++;
            tx.TxSync();
            rx.Poll(PollEvents.In, 0);
            while (rx.NextPacket(out _, out _)) received++;
            if (sent == frames) rx.Poll(PollEvents.In, 10);
        }
        Assert.Equal(frames, received);
        var close = Stopwatch.StartNew();
        hostile.Dispose();
        Assert.True(close.ElapsedMilliseconds < 5000, $"closing the hostile port took {close.ElapsedMilliseconds} ms");
        using var again = NetmapPort.Open("valek1:c", host); // netmapd still serves
        Assert.Equal(1, again.RxRings.Count);
    }

    [Fact]
    public void PipeSender_NeverBlocks_OnAHostileReceiversKickLine()
    {
        var host = NetmapHost.Daemon(_daemon.SocketPath);
        using var receiver = NetmapPort.Open("netmap:hk{1", host);
        using var sender = NetmapPort.Open("netmap:hk}1", host);
        MakeBlocking(receiver.FileDescriptor);
        WriteSaturatingCounter(receiver.FileDescriptor);
        Libc.shutdown(receiver.FileDescriptor, 2);
        var clock = Stopwatch.StartNew();
        long sent = 0;
        while (clock.ElapsedMilliseconds < 1500)
        {
            receiver.PrepareWait(PollEvents.In); // arms NeedKick: every publication signals the hostile line
            while (sender.Inject(Broadcast((int)sent))) sent++;
            sender.TxSync();
            while (receiver.NextPacket(out _, out _)) { }
            receiver.RxSync();
        }
        Assert.True(sent > 1000, $"only {sent} frames went through in 1.5 s");
    }
}
