using System.Runtime.InteropServices;
using Netmap.Abi;
using Netmap.Api;
using Netmap.Engine;
using Netmap.Hosting;
using Netmap.Hosting.Daemon;
using Netmap.Interop;

namespace Netmap.Tests.Hosting;

/// <summary>
/// A client must not trust the region memfd a daemon hands it either: a fake or broken daemon could send one it can
/// shrink after the client mapped it (SIGBUS in the client). The client refuses a memfd that is not sealed against
/// resizing, or that is smaller than the region the reply describes, before mapping it, and survives.
/// </summary>
public sealed class FakeDaemonTests : IDisposable
{
    private readonly string _dir = Path.Combine("/tmp", $"fake-netmapd-{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..8]}");

    public FakeDaemonTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>Answers one REGISTER with success, nr_memsize <paramref name="memSize"/>, and <paramref name="memfd"/>
    /// plus a kick line as the descriptors.</summary>
    private Task Serve(string socket, int memfd, ulong memSize)
    {
        var listener = SeqPacketSocket.Listen(socket);
        return Task.Run(() =>
        {
            using var l = listener;
            using var conn = l.Accept() ?? throw new InvalidOperationException("accept failed");
            var request = new byte[RequestMessage.MaxSize];
            Span<int> fds = stackalloc int[SeqPacketSocket.MaxFds];
            int n = conn.Receive(request, fds, out _);
            ref var h = ref RequestMessage.Header(request);
            RequestMessage.At<NmReqRegister>(request, h.Body).MemSize = memSize;
            var reply = new byte[ReplyHeader.Size + n];
            MemoryMarshal.Write(reply, new ReplyHeader { MessageLength = n, Token = 1, Sequence = 1 });
            request.AsSpan(0, n).CopyTo(reply.AsSpan(ReplyHeader.Size));
            using var kick = KickLine.Create("fake");
            conn.Send(reply, [memfd, kick.WaitFd]);
            // Wait for the client to hang up (it half-closes on dispose).
            conn.Receive(request, fds, out _);
        });
    }

    private NetmapException OpenAgainst(int memfd, ulong memSize)
    {
        string socket = Path.Combine(_dir, "netmapd.sock");
        var server = Serve(socket, memfd, memSize);
        var e = Assert.Throws<NetmapException>(() => NetmapPort.Open("netmap:fake{1", NetmapHost.Daemon(socket)));
        Assert.True(server.Wait(TimeSpan.FromSeconds(10)));
        Libc.close(memfd);
        return e;
    }

    [Fact]
    public void AnUnsealedMemfd_IsRefusedBeforeItIsMapped()
    {
        int fd = MappedMemory.CreateSealedFd("fake", 1 << 20, seals: 0);
        var e = OpenAgainst(fd, 1 << 19);
        Assert.Equal(Errno.EACCES, e.Errno);
        Assert.Contains("not sealed", e.Message);
    }

    [Fact]
    public void AMemfdSealedOnlyAgainstGrowing_IsRefused()
    {
        int fd = MappedMemory.CreateSealedFd("fake", 1 << 20, Libc.F_SEAL_GROW | Libc.F_SEAL_SEAL);
        Assert.Equal(Errno.EACCES, OpenAgainst(fd, 1 << 19).Errno);
    }

    [Fact]
    public void ASealedMemfdSmallerThanTheRegion_IsRefused()
    {
        int fd = MappedMemory.CreateSealedFd("fake", 4096, MappedMemory.RegionSeals);
        var e = OpenAgainst(fd, 1 << 20);
        Assert.Equal(Errno.EFAULT, e.Errno);
        Assert.Contains("fewer than", e.Message);
    }
}
