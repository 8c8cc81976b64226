using System.Diagnostics;
using Netmap.Interop;
using Netmap.Tests.Pipes;

namespace Netmap.Tests.Api;

/// <summary>
/// Dispose and what comes after: every member throws ObjectDisposedException, a sleeping Poll / WaitForPeer / pending
/// WaitAsync is ended by a Dispose on another thread, rings and spans kept past Dispose never fault, Dispose from the
/// port's own Dispatch handler is refused, and a released mapping becomes inert placeholder memory.
/// </summary>
public sealed class PortLifetimeTests : IDisposable
{
    private readonly PipePair _p = new("life");

    public void Dispose() => _p.Dispose();

    public static TheoryData<string> Members() =>
    [
        "TxSync", "RxSync", "Poll", "PrepareWait", "AcknowledgeWakeup", "WaitAsync", "WaitForPeer", "WaitForPeerAsync",
        "ReceiveAsync", "Inject", "NextPacket", "Dispatch", "DispatchStruct", "Buffer", "FileDescriptor", "Failure", "Peer",
        "PeerFailure", "PeerArrivals", "TxRings", "RxRings", "Interface", "FirstTxRing", "FirstRxRing", "TxSlots", "RxSlots",
        "MemId", "MemSize", "ExtraBuffers", "InvalidSlots",
    ];

    private struct Nop : IPacketHandler { public void Handle(ReadOnlySpan<byte> frame) { } }

    private static void Use(NetmapPort port, string member)
    {
        var nop = new Nop();
        switch (member)
        {
            case "TxSync": port.TxSync(); break;
            case "RxSync": port.RxSync(); break;
            case "Poll": port.Poll(PollEvents.In, 0); break;
            case "PrepareWait": port.PrepareWait(PollEvents.In); break;
            case "AcknowledgeWakeup": port.AcknowledgeWakeup(); break;
            case "WaitAsync": _ = port.WaitAsync(PollEvents.In); break;
            case "WaitForPeer": port.WaitForPeer(0); break;
            case "WaitForPeerAsync": _ = port.WaitForPeerAsync(); break;
            case "ReceiveAsync": _ = port.ReceiveAsync(); break;
            case "Inject": port.Inject(new byte[1]); break;
            case "NextPacket": port.NextPacket(out _, out _); break;
            case "Dispatch": port.Dispatch(0, _ => { }); break;
            case "DispatchStruct": port.Dispatch(0, ref nop); break;
            case "Buffer": port.Buffer(2); break;
            case "FileDescriptor": _ = port.FileDescriptor; break;
            case "Failure": _ = port.Failure; break;
            case "Peer": _ = port.Peer; break;
            case "PeerFailure": _ = port.PeerFailure; break;
            case "PeerArrivals": _ = port.PeerArrivals; break;
            case "TxRings": _ = port.TxRings; break;
            case "RxRings": _ = port.RxRings; break;
            case "Interface": _ = port.Interface; break;
            case "FirstTxRing": _ = port.FirstTxRing; break;
            case "FirstRxRing": _ = port.FirstRxRing; break;
            case "TxSlots": _ = port.TxSlots; break;
            case "RxSlots": _ = port.RxSlots; break;
            case "MemId": _ = port.MemId; break;
            case "MemSize": _ = port.MemSize; break;
            case "ExtraBuffers": _ = port.ExtraBuffers; break;
            case "InvalidSlots": _ = port.InvalidSlots; break;
            default: throw new ArgumentException(member);
        }
    }

    [Theory]
    [MemberData(nameof(Members))]
    public void EveryMember_AfterDispose_ThrowsObjectDisposed(string member)
    {
        var port = _p.Slave;
        Use(port, member); // works before
        port.Dispose();
        var e = Assert.Throws<ObjectDisposedException>(() => Use(port, member));
        Assert.Contains("life}1", e.ObjectName);
        Assert.Equal("netmap:life}1", port.Spec.Spec); // the name stays readable, for messages
        port.Dispose(); // idempotent
    }

    [Fact]
    public void FileDescriptor_AfterDispose_IsNotHandedOut()
    {
        int fd = _p.Slave.FileDescriptor;
        Assert.True(fd >= 0);
        _p.Slave.Dispose();
        Assert.Throws<ObjectDisposedException>(() => _p.Slave.FileDescriptor);
    }

    [Fact]
    public void Dispose_WhilePollSleeps_EndsThePollWithObjectDisposed()
    {
        var port = _p.Slave;
        var sleeper = Task.Run(() => port.Poll(PollEvents.In, 20_000));
        Thread.Sleep(100);
        Assert.False(sleeper.IsCompleted);
        var clock = Stopwatch.StartNew();
        port.Dispose();
        Assert.True(clock.ElapsedMilliseconds < 2000, $"Dispose waited {clock.ElapsedMilliseconds} ms for the sleeper");
        var e = Assert.Throws<AggregateException>(() => sleeper.Wait(5000));
        Assert.IsType<ObjectDisposedException>(e.InnerException);
    }

    [Fact]
    public void Dispose_WhileWaitForPeerSleeps_EndsItWithObjectDisposed()
    {
        using var lone = NetmapPort.Open("netmap:lone{1", _p.Host);
        Assert.Equal(PeerState.Waiting, lone.Peer);
        var sleeper = Task.Run(() => lone.WaitForPeer(20_000));
        Thread.Sleep(100);
        lone.Dispose();
        var e = Assert.Throws<AggregateException>(() => sleeper.Wait(5000));
        Assert.IsType<ObjectDisposedException>(e.InnerException);
    }

    [Fact]
    public async Task Dispose_WhileWaitAsyncIsPending_CompletesItWithObjectDisposed()
    {
        var wait = _p.Slave.WaitAsync(PollEvents.In).AsTask();
        await Task.Delay(50);
        Assert.False(wait.IsCompleted);
        _p.Slave.Dispose();
        var e = await Assert.ThrowsAsync<ObjectDisposedException>(() => wait.WaitAsync(TimeSpan.FromSeconds(5)));
        Assert.Contains("life}1", e.Message);
    }

    [Fact]
    public void RingsAndSpans_KeptPastDispose_DoNotFault()
    {
        // One port alone in its pipe: its Dispose frees the pipe and the parent's private region, which is unmapped.
        var host = _p.Host;
        var port = NetmapPort.Open("netmap:alone{1", host);
        var tx = port.TxRings[0];
        var slot0 = tx.Slot(0);
        var buffer = tx.Buffer(slot0.BufferIndex);
        buffer[0] = 42;
        port.Dispose();
        // Undefined contents, but no access violation: the address range is placeholder memory now.
        _ = tx.Head;
        tx.Head = tx.Cur = 1;
        ref var s = ref tx.Slot(1);
        s.Length = 60;
        buffer[0] = 7;
        buffer.Fill(1);
        Assert.True(buffer[0] is 1);
    }

    [Fact]
    public void Dispose_FromInsideTheDispatchHandler_IsRefused()
    {
        Assert.True(_p.Master.Inject(new byte[10]));
        Assert.True(_p.Master.TxSync());
        Assert.True(_p.Slave.RxSync());
        var port = _p.Slave;
        InvalidOperationException? refused = null;
        int n = port.Dispatch(0, _ =>
        {
            refused = Assert.Throws<InvalidOperationException>(port.Dispose);
        });
        Assert.Equal(1, n);
        Assert.NotNull(refused);
        Assert.Contains("Dispatch handler", refused.Message);
        // The port is intact and can be disposed normally afterwards.
        Assert.True(port.RxSync());
        port.Dispose();
    }

    [Fact]
    public void ReleasedMapping_IsPlaceholderMemory_ReadableAndWritable()
    {
        var map = MappedMemory.CreateMemfd("placeholder-test", 1 << 20);
        var span = map.Span(0, 1 << 20);
        span[100] = 5;
        map.Dispose();
        Assert.True(map.IsReleased);
        Assert.Equal(0, map.BaseAddress);
        Assert.Equal(0, span[100]); // the shared page is gone: the placeholder reads zeros
        span[100] = 9;
        Assert.Equal(9, span[100]);
        map.Dispose();
    }
}
