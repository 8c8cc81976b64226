using System.Collections.Concurrent;
using System.Diagnostics;
using Netmap.Abi;
using Netmap.Engine;
using Netmap.Hosting.Daemon;
using Netmap.Interop;
using Netmap.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Netmap.Tests.Hosting;

/// <summary>
/// The connection layer's own rules, on an in-process DaemonServer whose requests go to a scripted handler instead of
/// the engine: one slow request holds one request thread and nothing else, requests of a connection run in order and
/// one at a time, a deferred request completes after later ones (its sequence number says which it was), descriptors
/// a client sends reach the handler and are closed unless taken, a client that does not read its replies costs no
/// thread, and a refused connection is told why.
/// </summary>
public sealed class DaemonServerLoopTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _dir = Path.Combine("/tmp", $"netmapd-loop-{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..8]}");
    private string SocketPath => Path.Combine(_dir, "netmapd.sock");

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    /// <summary>Answers by the request's name: "slow" waits for <see cref="Release"/>, "defer" is deferred until
    /// <see cref="CompleteDeferred"/>, "take" keeps its first descriptor; everything else is answered at once with
    /// errno 0. Records the requests of each connection and whether two ever overlapped.</summary>
    private sealed class ScriptedHandler : IDaemonRequestHandler
    {
        public readonly ManualResetEventSlim Release = new(false);
        public readonly ManualResetEventSlim SlowStarted = new(false);
        public readonly ConcurrentQueue<(long Connection, uint Sequence, string Name, int[] Fds)> Seen = new();
        public readonly ConcurrentQueue<DeferredReply> Deferred = new();
        public readonly ConcurrentBag<int> Taken = new();
        private readonly ConcurrentDictionary<long, int> _inside = new();
        public volatile bool Overlapped;
        public int Opened, Closed;

        void IDaemonRequestHandler.Opened(DaemonConnection connection) => Interlocked.Increment(ref Opened);
        void IDaemonRequestHandler.Closed(DaemonConnection connection) => Interlocked.Increment(ref Closed);

        public DaemonReply Handle(ref DaemonRequest request)
        {
            long id = request.Connection.Id;
            if (_inside.AddOrUpdate(id, 1, (_, v) => v + 1) > 1) Overlapped = true;
            try
            {
                string name = RequestMessage.Header(request.Message).GetName();
                Seen.Enqueue((id, request.Sequence, name, request.Descriptors.ToArray()));
                switch (name)
                {
                    case "slow":
                        SlowStarted.Set();
                        Release.Wait(TimeSpan.FromSeconds(20));
                        break;
                    case "defer":
                        Deferred.Enqueue(request.Defer());
                        return DaemonReply.Deferred;
                    case "take":
                        Taken.Add(request.TakeDescriptor(0));
                        break;
                }
                return new DaemonReply(Errno.None);
            }
            finally
            {
                _inside.AddOrUpdate(id, 0, (_, v) => v - 1);
            }
        }

        public void CompleteDeferred(Errno errno, string detail)
        {
            while (Deferred.TryDequeue(out var d))
            {
                RequestMessage.Header(d.Message).TrySetName("deferred-done");
                d.Complete(errno, detail);
            }
        }
    }

    private DaemonServer Server(ScriptedHandler handler, DaemonLimits? limits = null)
        => new(SocketPath, null, (level, m) => output.WriteLine($"{level}: {m}"), verbose: false, limits, _ => handler);

    private static byte[] Named(string name) => DaemonWire.PortInfoGet(name);

    [Fact]
    public void ASlowRequest_HoldsOneRequestThread_WhileOtherConnectionsAreServed()
    {
        var handler = new ScriptedHandler();
        using var server = Server(handler, new DaemonLimits { RequestThreads = 2 });
        using var slow = SeqPacketSocket.Connect(SocketPath);
        Assert.Equal(0, slow.Send(Named("slow"), default));
        Assert.True(handler.SlowStarted.Wait(5000), "the slow request never reached the handler");

        // While it waits: other connections are accepted, served, and malformed messages answered.
        var clock = Stopwatch.StartNew();
        for (int i = 0; i < 20; i++)
        {
            using var other = SeqPacketSocket.Connect(SocketPath);
            Assert.Equal(Errno.None, DaemonWire.Exchange(other, Named($"fast{i}")).Errno);
            Assert.Equal(Errno.EINVAL, DaemonWire.Exchange(other, new byte[3]).Errno);
        }
        output.WriteLine($"20 connections served in {clock.ElapsedMilliseconds} ms while a request was stuck");
        Assert.True(clock.ElapsedMilliseconds < 5000);

        handler.Release.Set();
        var r = DaemonWire.Receive(slow);
        Assert.Equal((Errno.None, 1u), (r.Errno, r.Sequence));
    }

    [Fact]
    public void RequestsOfOneConnection_RunInOrderOneAtATime_AndEachReplyNamesItsRequest()
    {
        var handler = new ScriptedHandler();
        using var server = Server(handler, new DaemonLimits { RequestThreads = 4 });
        var sockets = Enumerable.Range(0, 4).Select(_ => SeqPacketSocket.Connect(SocketPath)).ToArray();
        try
        {
            // Pipelined: 16 requests in flight per connection, four connections at once.
            Parallel.ForEach(sockets, s =>
            {
                for (int round = 0; round < 20; round++)
                {
                    for (int k = 0; k < 16; k++) Assert.Equal(0, s.Send(Named($"r{round * 16 + k}"), default));
                    for (int k = 0; k < 16; k++)
                    {
                        var r = DaemonWire.Receive(s);
                        Assert.Equal((uint)(round * 16 + k + 1), r.Sequence);
                        Assert.Equal(Errno.None, r.Errno);
                    }
                }
            });
        }
        finally
        {
            foreach (var s in sockets) s.Dispose();
        }
        Assert.False(handler.Overlapped, "two requests of one connection ran at the same time");
        foreach (var perConnection in handler.Seen.GroupBy(s => s.Connection))
        {
            var names = perConnection.Select(s => s.Name).ToList();
            Assert.Equal(Enumerable.Range(0, 320).Select(i => $"r{i}"), names);
            Assert.Equal(Enumerable.Range(1, 320).Select(i => (uint)i), perConnection.Select(s => s.Sequence));
        }
    }

    [Fact]
    public void ADeferredRequest_CompletesLater_WhileLaterRequestsOfTheSameConnectionAreServed()
    {
        var handler = new ScriptedHandler();
        using var server = Server(handler);
        using var s = SeqPacketSocket.Connect(SocketPath);
        Assert.Equal(0, s.Send(Named("defer"), default));  // netmap's SYNC_KLOOP_START
        var second = DaemonWire.Exchange(s, Named("stop"));   // and its SYNC_KLOOP_STOP, on the same connection
        Assert.Equal((Errno.None, 2u), (second.Errno, second.Sequence));

        handler.CompleteDeferred(Errno.EINTR, "stopped");
        var first = DaemonWire.Receive(s);
        Assert.Equal((Errno.EINTR, 1u, "stopped"), (first.Errno, first.Sequence, first.Detail));
        // The connection goes on as before.
        Assert.Equal(3u, DaemonWire.Exchange(s, Named("after")).Sequence);
    }

    [Fact]
    public void ADeferredRequestCompletedAfterItsClientLeft_IsDropped()
    {
        var handler = new ScriptedHandler();
        using var server = Server(handler);
        using (var s = SeqPacketSocket.Connect(SocketPath))
        {
            Assert.Equal(0, s.Send(Named("defer"), default));
            var clock = Stopwatch.StartNew();
            while (handler.Deferred.IsEmpty && clock.ElapsedMilliseconds < 5000) Thread.Sleep(5);
        }
        var wait = Stopwatch.StartNew();
        while (server.ConnectionCount > 0 && wait.ElapsedMilliseconds < 5000) Thread.Sleep(5);
        Assert.Equal(0, server.ConnectionCount);
        handler.CompleteDeferred(Errno.None, "");   // nobody to tell: no throw, nothing kept
        Assert.Equal(1, handler.Closed);
    }

    [Fact]
    public void DescriptorsFromTheClient_ReachTheHandler_AndThoseNotTakenAreClosed()
    {
        var handler = new ScriptedHandler();
        using var server = Server(handler);
        using var s = SeqPacketSocket.Connect(SocketPath);
        // Files only this test opens: the server runs in this process, so its copies show up in /proc/self/fd.
        string pathA = Path.Combine(Path.GetTempPath(), $"fd-a-{Guid.NewGuid():N}"), pathB = Path.Combine(Path.GetTempPath(), $"fd-b-{Guid.NewGuid():N}");
        using var a = new FileStream(pathA, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.DeleteOnClose);
        using var b = new FileStream(pathB, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.DeleteOnClose);
        int fdA = (int)a.SafeFileHandle.DangerousGetHandle(), fdB = (int)b.SafeFileHandle.DangerousGetHandle();

        Assert.Equal(Errno.None, DaemonWire.Exchange(s, Named("take"), [fdA, fdB]).Errno);
        // The reply goes out after the handler returned and the rest was closed.
        Assert.Equal(2, Assert.Single(handler.Seen).Fds.Length);
        int taken = Assert.Single(handler.Taken);
        Assert.Equal([taken], OpenedOn(pathA).Where(fd => fd != fdA));
        Assert.Empty(OpenedOn(pathB).Where(fd => fd != fdB));

        Assert.Equal(Errno.None, DaemonWire.Exchange(s, Named("ignore"), [fdB]).Errno);
        Assert.Empty(OpenedOn(pathB).Where(fd => fd != fdB));
        SeqPacketSocket.CloseFd(taken);
    }

    /// <summary>The descriptors of this process open on <paramref name="path"/>.</summary>
    private static List<int> OpenedOn(string path)
    {
        var list = new List<int>();
        foreach (var f in Directory.GetFiles("/proc/self/fd"))
        {
            try
            {
                if (new FileInfo(f).LinkTarget is string t && t.StartsWith(path, StringComparison.Ordinal)) list.Add(int.Parse(Path.GetFileName(f)));
            }
            catch (IOException) { }
        }
        return list;
    }

    [Fact]
    public void AClientThatNeverReadsItsReplies_CostsNoThread_AndGetsThemAllWhenItReads()
    {
        var handler = new ScriptedHandler();
        using var server = Server(handler, new DaemonLimits { RequestThreads = 1 });
        using var lazy = SeqPacketSocket.Connect(SocketPath);
        // More replies than the socket buffers hold: a blocking send would hang the only request thread here.
        int sent = 0;
        var big = new byte[RequestMessage.MaxSize];
        Named("big").CopyTo(big, 0);
        // Until the sends stall: the server has stopped reading this connection (it waits for the client to take a
        // reply), so the client's own socket fills up.
        var idle = Stopwatch.StartNew();
        while (idle.ElapsedMilliseconds < 200)
        {
            if (lazy.Send(big, default, dontWait: true) != 0) { Thread.Sleep(1); continue; }
            sent++;
            idle.Restart();
        }
        output.WriteLine($"{sent} requests of {big.Length} bytes sent without reading a reply; {server.BlockedReplies} reply kept for later");
        Assert.True(server.BlockedReplies > 0, "the client's socket never refused a reply: the test sent too little");
        // The only request thread is free: another connection is served.
        using (var other = SeqPacketSocket.Connect(SocketPath))
            Assert.Equal(Errno.None, DaemonWire.Exchange(other, Named("other")).Errno);
        for (int i = 1; i <= sent; i++) Assert.Equal((uint)i, DaemonWire.Receive(lazy).Sequence);
    }

    [Fact]
    public void AConnectionBeyondTheCap_IsToldWhy_AndDaemonChannelReportsIt()
    {
        var handler = new ScriptedHandler();
        using var server = Server(handler, new DaemonLimits { MaxConnectionsPerUser = 3 });
        var held = Enumerable.Range(0, 3).Select(_ => new DaemonChannel(SocketPath)).ToList();
        try
        {
            foreach (var c in held) Assert.Equal(Errno.None, c.Control(Named("x"), out _, out _));
            using var refused = new DaemonChannel(SocketPath);
            var err = refused.Control(Named("x"), out var reg, out var detail);
            Assert.Null(reg);
            Assert.Equal(Errno.EDQUOT, err);
            Assert.Equal($"netmapd: uid {ProcessInfo.EffectiveUid} has 3 connections (limit --max-connections-per-user 3)", detail);
            Assert.Equal(detail, refused.Failure);
            Assert.Equal(1, server.RefusedCount);
            Assert.Equal(3, handler.Opened); // a refused connection never reached the handler

            // One leaves: room again.
            held[0].Dispose();
            held.RemoveAt(0);
            using var again = new DaemonChannel(SocketPath);
            Assert.Equal(Errno.None, again.Control(Named("x"), out _, out _));
        }
        finally
        {
            foreach (var c in held) c.Dispose();
        }
    }

    [Fact]
    public void Shutdown_ClosesIdleAndBusyConnections_AndReleasesEachOnce()
    {
        var handler = new ScriptedHandler();
        var server = Server(handler);
        var idle = Enumerable.Range(0, 10).Select(_ => SeqPacketSocket.Connect(SocketPath)).ToList();
        foreach (var s in idle) Assert.Equal(Errno.None, DaemonWire.Exchange(s, Named("hello")).Errno);
        using var busy = SeqPacketSocket.Connect(SocketPath);
        Assert.Equal(0, busy.Send(Named("slow"), default));
        Assert.True(handler.SlowStarted.Wait(5000));
        var release = Task.Run(() => { Thread.Sleep(300); handler.Release.Set(); });

        server.Dispose();

        Assert.Equal(0, server.ConnectionCount);
        Assert.Equal(11, handler.Closed);
        Assert.False(File.Exists(SocketPath));
        foreach (var s in idle)
        {
            Assert.True(FdPoll.PeerClosed(s.Fd), "a client was not told of the shutdown");
            s.Dispose();
        }
        release.Wait();
    }
}
