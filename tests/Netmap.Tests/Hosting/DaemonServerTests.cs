using System.Diagnostics;
using System.Runtime.InteropServices;
using Netmap.Abi;
using Netmap.Engine;
using Netmap.Hosting;
using Netmap.Hosting.Daemon;
using Netmap.Interop;
using Netmap.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Netmap.Tests.Hosting;

/// <summary>
/// netmapd as clients see it: the real executable (DaemonFixture), spoken to through DaemonChannel or a raw
/// SEQPACKET socket. Requests are built from the Abi structs; pointers are byte offsets in the message.
/// </summary>
public class DaemonServerTests(DaemonFixture daemon, ITestOutputHelper output) : IClassFixture<DaemonFixture>
{
    private const int Body = NmReqHeader.Size;
    private const ulong GlobalMemSize = 343019520;

    // ------------------------------------------------------------ message building

    private static byte[] Request(RequestType type, string name, int bodySize, int extra = 0, ushort version = NetmapConstants.Api)
    {
        var m = new byte[NmReqHeader.Size + Math.Max(bodySize, 0) + extra];
        ref var h = ref RequestMessage.Header(m);
        h.Version = version;
        h.RequestType = type;
        Assert.True(h.TrySetName(name));
        h.Body = bodySize > 0 ? (ulong)Body : 0;
        return m;
    }

    private static byte[] PortInfoGet(string name = "", int extra = 0) => Request(RequestType.PortInfoGet, name, NmReqPortInfoGet.Size, extra);

    private static byte[] Register(string name, RegisterFlags flags = RegisterFlags.None, RegisterMode mode = RegisterMode.AllNic)
    {
        var m = Request(RequestType.Register, name, NmReqRegister.Size);
        ref var r = ref RequestMessage.At<NmReqRegister>(m, Body);
        r.Mode = mode;
        r.Flags = flags;
        return m;
    }

    /// <summary>Writes an option header at <paramref name="offset"/> and links it from <paramref name="linkFrom"/>
    /// (0 = the header's nr_options, else the nro_next of the option there).</summary>
    private static void AddOption(byte[] m, int offset, OptionType type, int linkFrom = 0, ulong size = 0)
    {
        ref var o = ref RequestMessage.At<NmReqOption>(m, (ulong)offset);
        o.Type = type;
        o.Size = size;
        o.Next = 0;
        if (linkFrom == 0) RequestMessage.Header(m).Options = (ulong)offset;
        else RequestMessage.At<NmReqOption>(m, (ulong)linkFrom).Next = (ulong)offset;
    }

    private static uint OptionStatus(byte[] m, int offset) => RequestMessage.At<NmReqOption>(m, (ulong)offset).Status;

    private Errno Control(DaemonChannel channel, byte[] message, out ChannelRegistration? registration)
    {
        var err = channel.Control(message, out registration, out var detail);
        if (detail is not null) output.WriteLine($"detail: {detail}");
        return err;
    }

    // ------------------------------------------------------------ the control path through DaemonChannel

    [Fact]
    public void PortInfoGet_WithEmptyName_DescribesTheGlobalAllocator()
    {
        using var channel = new DaemonChannel(daemon.SocketPath);
        var m = PortInfoGet();

        Assert.Equal(Errno.None, Control(channel, m, out var reg));

        Assert.Null(reg);
        var info = RequestMessage.At<NmReqPortInfoGet>(m, Body);
        Assert.Equal(NetmapConstants.GlobalMemId, info.MemId);
        Assert.Equal(GlobalMemSize, info.MemSize);
    }

    [Fact]
    public void Register_OfAPipeEnd_MapsARegionWhoseNetmapIfHasOneTxRing_AndASecondRegisterOnTheSameChannelIsBusy()
    {
        using var channel = new DaemonChannel(daemon.SocketPath);
        var m = Register("p{1");

        Assert.Equal(Errno.None, Control(channel, m, out var reg));
        Assert.NotNull(reg);
        using (reg)
        {
            var r = RequestMessage.At<NmReqRegister>(m, Body);
            Assert.True(reg!.Memory.Length >= (long)r.MemSize, $"mapped {reg.Memory.Length} bytes, nr_memsize {r.MemSize}");
            Assert.True(reg.Memory.Contains((long)r.Offset, NetmapIfHeader.Size));
            var nifp = reg.Memory.Ref<NetmapIfHeader>((long)r.Offset);
            Assert.Equal(1u, nifp.TxRings);
            Assert.Equal(1u, nifp.RxRings);
            Assert.NotEqual(0u, reg.Token);
            Assert.True(reg.KickFd >= 0 && reg.PeerKickFd >= 0, "a pipe end gets its own and its peer's eventfd");

            var again = Register("p{1");
            Assert.Equal(Errno.EBUSY, Control(channel, again, out var reg2));
            Assert.Null(reg2);
        }
    }

    [Fact]
    public void Register_Refused_CarriesTheEnginesExplanation()
    {
        using var channel = new DaemonChannel(daemon.SocketPath);

        var err = channel.Control(Register("nosuchif0"), out var reg, out var detail);

        Assert.Equal(Errno.ENXIO, err);
        Assert.Null(reg);
        Assert.NotNull(detail);
        Assert.Contains("nosuchif0", detail);
    }

    [Fact]
    public void ClosingAConnectionWithoutUnregistering_ReleasesItsExclusiveHold()
    {
        var holder = new DaemonChannel(daemon.SocketPath);
        Assert.Equal(Errno.None, Control(holder, Register("q{1", RegisterFlags.Exclusive), out var reg));
        using (var contender = new DaemonChannel(daemon.SocketPath))
            Assert.Equal(Errno.EBUSY, Control(contender, Register("q{1", RegisterFlags.Exclusive), out _));

        // The client "dies": its socket closes, nothing is unregistered.
        holder.Dispose();
        reg!.Dispose();

        AssertEventuallyRegistersExclusively("q{1");
    }

    [Fact]
    public void AClientKilledWithSigkill_ReleasesItsExclusiveHold()
    {
        string? python = FindOnPath("python3");
        if (python is null)
        {
            output.WriteLine("python3 not found: the cross-process SIGKILL case is not run here");
            return;
        }
        // A minimal netmapd client: REGISTER k{1 exclusively, report the errno, then wait to be killed.
        const string script = """
            import socket, struct, sys, time
            s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
            s.connect(sys.argv[1])
            hdr = struct.pack('<HHI64sQQ', 14, 1, 0, b'k{1', 0, 88)
            body = struct.pack('<QQIIHHHHHHIIIQ', 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0x800)
            s.sendmsg([hdr + body])
            data, anc, flags, addr = s.recvmsg(8192, socket.CMSG_SPACE(16 * 4))
            print(struct.unpack_from('<i', data, 0)[0], flush=True)
            time.sleep(60)
            """;
        var psi = new ProcessStartInfo(python) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add(script);
        psi.ArgumentList.Add(daemon.SocketPath);
        using var child = Process.Start(psi)!;
        try
        {
            var readTask = child.StandardOutput.ReadLineAsync();
            Assert.True(readTask.Wait(20_000), "the child did not report its REGISTER within 20 s: " + (child.HasExited ? child.StandardError.ReadToEnd() : "still running"));
            string? line = readTask.Result;
            output.WriteLine($"child pid {child.Id}: REGISTER returned {line}");
            if (line != "0") Assert.Fail($"the child's REGISTER returned '{line}': {child.StandardError.ReadToEnd()}");
            using (var contender = new DaemonChannel(daemon.SocketPath))
                Assert.Equal(Errno.EBUSY, Control(contender, Register("k{1", RegisterFlags.Exclusive), out _));

            child.Kill(); // SIGKILL
            Assert.True(child.WaitForExit(10_000));

            AssertEventuallyRegistersExclusively("k{1");
        }
        finally
        {
            if (!child.HasExited) child.Kill();
        }
    }

    [Fact]
    public void ManyConnectionsAtOnce_AreEachServedByTheirOwnSession()
    {
        var channels = new List<DaemonChannel>();
        var registrations = new List<ChannelRegistration>();
        try
        {
            for (int i = 0; i < 64; i++) channels.Add(new DaemonChannel(daemon.SocketPath));
            // Each connection is one /dev/netmap descriptor: each may hold its own registration.
            for (int i = 0; i < channels.Count; i++)
            {
                Assert.Equal(Errno.None, Control(channels[i], Register($"many{i / 2}" + (i % 2 == 0 ? "{" : "}") + "0"), out var reg));
                registrations.Add(reg!);
            }
            Parallel.ForEach(channels, new ParallelOptions { MaxDegreeOfParallelism = 4 }, c =>
            {
                for (int k = 0; k < 50; k++) Assert.Equal(Errno.None, c.Control(PortInfoGet(), out _, out _));
            });
        }
        finally
        {
            foreach (var r in registrations) r.Dispose();
            foreach (var c in channels) c.Dispose();
        }
        // All released: both ends of a pipe register again.
        using var a = new DaemonChannel(daemon.SocketPath);
        using var b = new DaemonChannel(daemon.SocketPath);
        Assert.Equal(Errno.None, Control(a, Register("many0{0", RegisterFlags.Exclusive), out var ra));
        Assert.Equal(Errno.None, Control(b, Register("many0}0", RegisterFlags.Exclusive), out var rb));
        ra!.Dispose();
        rb!.Dispose();
    }

    private void AssertEventuallyRegistersExclusively(string name)
    {
        // The daemon learns of the close asynchronously (its connection thread wakes from recvmsg).
        var clock = Stopwatch.StartNew();
        while (true)
        {
            using var channel = new DaemonChannel(daemon.SocketPath);
            var err = channel.Control(Register(name, RegisterFlags.Exclusive), out var reg, out var detail);
            if (err == Errno.None) { reg!.Dispose(); return; }
            Assert.Equal(Errno.EBUSY, err);
            Assert.True(clock.ElapsedMilliseconds < 5000, $"{name} still held 5 s after its holder's connection closed: {detail}");
            Thread.Sleep(10);
        }
    }

    private static string? FindOnPath(string exe)
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            var p = Path.Combine(dir, exe);
            if (File.Exists(p)) return p;
        }
        return null;
    }

    // ------------------------------------------------------------ malformed requests, one by one

    public static TheoryData<string, Errno> MalformedRequests => new()
    {
        { "version 13", Errno.EINVAL },
        { "reserved not zero", Errno.EINVAL },
        { "unknown request type 99", Errno.EINVAL },
        { "REGISTER without a body", Errno.EINVAL },
        { "DELIF with a body", Errno.EINVAL },
        { "body offset past the end", Errno.EFAULT },
        { "body overlapping the end", Errno.EFAULT },
        { "body inside the header", Errno.EFAULT },
        { "option of type 0", Errno.EINVAL },
        { "duplicate option", Errno.EINVAL },
        { "unknown option type 77", Errno.EOPNOTSUPP },
        { "option pointing to itself", Errno.EMSGSIZE },
        { "option loop through two options", Errno.EMSGSIZE },
        { "body and options over 4096 bytes", Errno.EMSGSIZE },
        { "option offset past the end", Errno.EFAULT },
        { "option inside the header", Errno.EFAULT },
    };

    [Theory]
    [MemberData(nameof(MalformedRequests))]
    public void AMalformedRequest_IsRefusedWithNetmapsErrno(string @case, Errno expected)
    {
        const int opt1 = Body + NmReqPortInfoGet.Size, opt2 = opt1 + 64;
        byte[] m;
        switch (@case)
        {
            case "version 13": m = Request(RequestType.PortInfoGet, "", NmReqPortInfoGet.Size, version: 13); break;
            case "reserved not zero": m = PortInfoGet(); RequestMessage.Header(m).Reserved = 1; break;
            case "unknown request type 99": m = PortInfoGet(); RequestMessage.Header(m).RequestType = (RequestType)99; break;
            case "REGISTER without a body": m = Register("p{5"); RequestMessage.Header(m).Body = 0; break;
            case "DELIF with a body": m = Request(RequestType.ValeDeleteInterface, "vale0:x", 0, extra: 8); RequestMessage.Header(m).Body = Body; break;
            case "body offset past the end": m = PortInfoGet(); RequestMessage.Header(m).Body = 4000; break;
            case "body overlapping the end": m = PortInfoGet(); RequestMessage.Header(m).Body = Body + 8; break;
            case "body inside the header": m = PortInfoGet(); RequestMessage.Header(m).Body = 8; break;
            case "option of type 0": m = PortInfoGet(extra: 128); AddOption(m, opt1, 0); break;
            case "duplicate option":
                m = PortInfoGet(extra: 128);
                AddOption(m, opt1, OptionType.Offsets);
                AddOption(m, opt2, OptionType.Offsets, linkFrom: opt1);
                break;
            case "unknown option type 77": m = PortInfoGet(extra: 128); AddOption(m, opt1, (OptionType)77); break;
            case "option pointing to itself":
                m = PortInfoGet(extra: 128);
                AddOption(m, opt1, (OptionType)77);
                RequestMessage.At<NmReqOption>(m, opt1).Next = opt1;
                break;
            case "option loop through two options":
                m = PortInfoGet(extra: 128);
                AddOption(m, opt1, (OptionType)77);
                AddOption(m, opt2, (OptionType)78, linkFrom: opt1);
                RequestMessage.At<NmReqOption>(m, opt2).Next = opt1;
                break;
            case "body and options over 4096 bytes":
                // A variable-size option claiming 5000 bytes: the sum is checked before the bounds.
                m = PortInfoGet(extra: 128);
                AddOption(m, opt1, OptionType.SyncKloopEventFds, size: 5000);
                break;
            case "option offset past the end": m = PortInfoGet(extra: 128); RequestMessage.Header(m).Options = 100_000; break;
            case "option inside the header": m = PortInfoGet(extra: 128); RequestMessage.Header(m).Options = 16; break;
            default: throw new ArgumentException(@case);
        }
        var sent = (byte[])m.Clone();
        using var channel = new DaemonChannel(daemon.SocketPath);

        Assert.Equal(expected, Control(channel, m, out var reg));

        Assert.Null(reg);
        switch (@case)
        {
            case "option of type 0":
                Assert.Equal((uint)Errno.EINVAL, OptionStatus(m, opt1));
                break;
            case "duplicate option":
                Assert.Equal((uint)Errno.EINVAL, OptionStatus(m, opt1));
                Assert.Equal((uint)Errno.EINVAL, OptionStatus(m, opt2));
                break;
            case "unknown option type 77":
                Assert.Equal((uint)Errno.EOPNOTSUPP, OptionStatus(m, opt1));
                break;
            default:
                // A refused request's body is not written back.
                if (RequestMessage.Header(sent).Body == Body && m.Length >= Body + NmReqPortInfoGet.Size)
                    Assert.Equal(sent.AsSpan(Body, NmReqPortInfoGet.Size).ToArray(), m.AsSpan(Body, NmReqPortInfoGet.Size).ToArray());
                break;
        }
    }

    // ------------------------------------------------------------ malformed envelopes, on a raw socket

    [Fact]
    public void MalformedEnvelopes_GetAnErrnoReply_AndTheConnectionStaysUsable()
    {
        using var s = SeqPacketSocket.Connect(daemon.SocketPath);
        var reply = new byte[8192];
        var fds = new int[SeqPacketSocket.MaxFds];

        (Errno, int) Exchange(byte[] msg, ReadOnlySpan<int> withFds = default)
        {
            Assert.Equal(0, s.Send(msg, withFds));
            int n = s.Receive(reply, fds, out int nfds);
            for (int i = 0; i < nfds; i++) SeqPacketSocket.CloseFd(fds[i]);
            Assert.True(n >= ReplyHeader.Size, $"reply of {n} bytes");
            var h = MemoryMarshal.Read<ReplyHeader>(reply);
            Assert.Equal(n, ReplyHeader.Size + h.MessageLength + h.DetailLength);
            return ((Errno)h.Errno, h.MessageLength);
        }

        Assert.Equal((Errno.EINVAL, 0), Exchange([]));
        Assert.Equal((Errno.EINVAL, 1), Exchange([14]));
        Assert.Equal((Errno.EINVAL, NmReqHeader.Size - 1), Exchange(new byte[NmReqHeader.Size - 1]));
        Assert.Equal((Errno.EMSGSIZE, 0), Exchange(new byte[RequestMessage.MaxSize + 1]));
        Assert.Equal((Errno.EMSGSIZE, 0), Exchange(new byte[RequestMessage.MaxSize + 100]));
        Assert.Equal((Errno.EMSGSIZE, 0), Exchange(new byte[65000]));

        // Descriptors sent to the daemon are closed there; the request is served normally.
        using var ev = KickLine.Create("test");
        var info = PortInfoGet();
        Assert.Equal((Errno.None, info.Length), Exchange(info, [ev.WaitFd, ev.SignalFd]));

        // A request exactly MaxSize long is a request like any other.
        var big = new byte[RequestMessage.MaxSize];
        PortInfoGet().CopyTo(big, 0);
        Assert.Equal((Errno.None, RequestMessage.MaxSize), Exchange(big));
    }

    // ------------------------------------------------------------ fuzzing

    private const int FuzzRequests = 1_000_000;
    private const int FuzzConnections = 4;
    /// <summary>Requests in flight per connection: SEQPACKET keeps the boundaries, and 16 messages of either
    /// direction fit in the default socket buffers, so the writer never waits for a reader that waits for it.</summary>
    private const int FuzzPipeline = 16;
    private const int FuzzMaxLength = 4300;

    [Fact]
    public void AMillionMalformedRequests_NeitherCrashNorWedgeTheDaemon()
    {
        using var fuzzed = DaemonFixture.Start("--interfaces", "none");
        // Warm up first (the global allocator's memfd, the runtime's lazily opened descriptors), then count.
        WarmUp(fuzzed.SocketPath, fuzzed.ProcessId);
        var fdsBefore = Descriptors(fuzzed.ProcessId);
        string rssBefore = Rss(fuzzed.ProcessId);
        var errnos = new long[256];
        long replies = 0, reconnects = 0, registered = 0;
        var failures = new List<string>();

        var clock = Stopwatch.StartNew();
        var threads = new Thread[FuzzConnections];
        for (int t = 0; t < FuzzConnections; t++)
        {
            int seed = 20251125 + t;
            int quota = FuzzRequests / FuzzConnections + (t < FuzzRequests % FuzzConnections ? 1 : 0);
            threads[t] = new Thread(() =>
            {
                try
                {
                    var r = FuzzClient(fuzzed.SocketPath, seed, quota, errnos);
                    Interlocked.Add(ref replies, r.Replies);
                    Interlocked.Add(ref reconnects, r.Reconnects);
                    Interlocked.Add(ref registered, r.Registered);
                }
                catch (Exception e)
                {
                    lock (failures) failures.Add($"client {seed}: {e}");
                }
            }) { IsBackground = true, Name = $"fuzz {t}" };
            threads[t].Start();
        }
        foreach (var t in threads) Assert.True(t.Join(TimeSpan.FromMinutes(5)), "a fuzz client hung (the daemon stopped answering?)");
        clock.Stop();

        output.WriteLine($"{FuzzRequests:N0} requests over {FuzzConnections} connections in {clock.Elapsed.TotalSeconds:F1} s " +
                         $"({FuzzRequests / clock.Elapsed.TotalSeconds:N0}/s); {replies:N0} replies read, {reconnects} reconnects, {registered} successful REGISTERs");
        for (int e = 0; e < errnos.Length; e++)
            if (errnos[e] > 0) output.WriteLine($"  {(e == 0 ? "OK" : SystemError.Name(e)),-12} {errnos[e],10:N0}");
        Assert.True(failures.Count == 0, string.Join("\n", failures) + $"\nnetmapd exited: {fuzzed.HasExited}; its stderr ends:\n{Tail(fuzzed.Stderr, 3000)}");
        Assert.False(fuzzed.HasExited, $"netmapd exited:\n{fuzzed.Stderr}");

        // Still serving: a pipe registers, and info requests work.
        using (var channel = new DaemonChannel(fuzzed.SocketPath))
        {
            Assert.Equal(Errno.None, Control(channel, Register("after{0"), out var reg));
            reg!.Dispose();
            using var other = new DaemonChannel(fuzzed.SocketPath);
            var info = PortInfoGet();
            Assert.Equal(Errno.None, Control(other, info, out _));
            Assert.Equal(GlobalMemSize, RequestMessage.At<NmReqPortInfoGet>(info, Body).MemSize);
        }

        // Persistent interfaces the fuzz made stay by design: detach and delete them (errors ignored), then count.
        using (var cleanup = new DaemonChannel(fuzzed.SocketPath))
        {
            foreach (var sw in new[] { "vale0", "vale1" })
                foreach (var pif in PersistentNames)
                    Control(cleanup, Request(RequestType.ValeDetach, sw + ":" + pif, NmReqValeDetach.Size), out _);
            foreach (var pif in PersistentNames)
                Control(cleanup, Request(RequestType.ValeDeleteInterface, pif, -1), out _);
        }

        // Every session closed: no descriptor leaked (fds the clients sent, memfds of dead pipes, sockets).
        var settle = Stopwatch.StartNew();
        List<string> leaked;
        // An assembly of the shared framework the runtime loads on a path first taken during the fuzz stays open: not a leak.
        string framework = System.Runtime.InteropServices.RuntimeEnvironment.GetRuntimeDirectory();
        while ((leaked = Descriptors(fuzzed.ProcessId).Except(fdsBefore).Where(d => !d.Contains(" -> " + framework, StringComparison.Ordinal)).ToList()).Count > 0
               && settle.ElapsedMilliseconds < 5000)
            Thread.Sleep(20);
        output.WriteLine($"daemon descriptors: {fdsBefore.Count} before; new since: {string.Join(", ", leaked)}; RSS {rssBefore} before, {Rss(fuzzed.ProcessId)} after");
        Assert.True(leaked.Count == 0, $"netmapd holds descriptors it did not hold before the fuzz: {string.Join(", ", leaked)}");

        string log = fuzzed.Stderr;
        var errors = log.Split('\n').Where(l => l.Contains("fail:") || l.Contains("crit:") || l.Contains("internal error")).Take(20).ToList();
        Assert.True(errors.Count == 0, "netmapd logged errors:\n" + string.Join("\n", errors));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(120), $"the fuzz took {clock.Elapsed.TotalSeconds:F1} s");
    }

    private void WarmUp(string socketPath, int pid)
    {
        using var channel = new DaemonChannel(socketPath);
        Assert.Equal(Errno.None, Control(channel, PortInfoGet(), out _));
        using (var c2 = new DaemonChannel(socketPath))
        {
            Assert.Equal(Errno.None, Control(c2, Register("warmup{0"), out var reg));
            reg!.Dispose();
        }
        // The global allocator is made on first use and then stays: have it made now (PORT_INFO_GET describes it
        // without making it).
        using (var c3 = new DaemonChannel(socketPath))
        {
            var m = Register("warmup", mode: RegisterMode.Null);
            RequestMessage.At<NmReqRegister>(m, Body).MemId = NetmapConstants.GlobalMemId;
            Assert.Equal(Errno.None, Control(c3, m, out var reg));
            reg!.Dispose();
        }
        // The runtime opens some descriptors lazily after start (assemblies loaded by the host's background work):
        // count only once the set has been stable for a while.
        var clock = Stopwatch.StartNew();
        var last = Descriptors(pid);
        for (var stable = Stopwatch.StartNew(); stable.ElapsedMilliseconds < 500 && clock.ElapsedMilliseconds < 10_000; Thread.Sleep(50))
        {
            var now = Descriptors(pid);
            if (!now.SequenceEqual(last)) { last = now; stable.Restart(); }
        }
    }

    private static string Rss(int pid)
        => File.ReadLines($"/proc/{pid}/status").FirstOrDefault(l => l.StartsWith("VmRSS:"))?[6..].Trim() ?? "?";

    /// <summary>The daemon's open descriptors as "fd -> target" (a reused number with another target counts as new).</summary>
    private static List<string> Descriptors(int pid)
    {
        var list = new List<string>();
        foreach (var f in Directory.GetFiles($"/proc/{pid}/fd"))
        {
            string target;
            try { target = new FileInfo(f).LinkTarget ?? "?"; } catch (IOException) { continue; }
            list.Add($"{Path.GetFileName(f)} -> {target}");
        }
        return list;
    }

    private readonly record struct FuzzResult(long Replies, long Reconnects, long Registered);

    /// <summary>One connection's worth of fuzzing: batches of <see cref="FuzzPipeline"/> requests, then their replies.
    /// Now and then the connection is dropped with replies unread (and a REGISTER possibly held) and reopened.</summary>
    private static FuzzResult FuzzClient(string socketPath, int seed, int quota, long[] errnos)
    {
        var rng = new Random(seed);
        var bufs = new byte[FuzzPipeline][];
        var lens = new int[FuzzPipeline];
        for (int i = 0; i < FuzzPipeline; i++) bufs[i] = new byte[FuzzMaxLength + 16];
        var reply = new byte[ReplyHeader.Size + RequestMessage.MaxSize + ReplyHeader.MaxDetail + 64];
        Span<int> fds = stackalloc int[SeqPacketSocket.MaxFds];
        using var junkFd = KickLine.Create("fuzz");
        int[] junk = [junkFd.WaitFd];
        long replies = 0, reconnects = 0, registered = 0;
        var s = SeqPacketSocket.Connect(socketPath);
        try
        {
            int sent = 0;
            while (sent < quota)
            {
                int batch = Math.Min(FuzzPipeline, quota - sent);
                for (int i = 0; i < batch; i++)
                {
                    lens[i] = FuzzRequest(rng, bufs[i]);
                    int err = s.Send(bufs[i].AsSpan(0, lens[i]), rng.Next(2000) == 0 ? junk : ReadOnlySpan<int>.Empty);
                    if (err != 0) throw new InvalidOperationException($"send: {SystemError.Name(err)} (the daemon dropped the connection)");
                }
                sent += batch;
                bool drop = rng.Next(500) == 0;
                int read = drop ? rng.Next(batch) : batch;
                for (int i = 0; i < read; i++)
                {
                    int n = s.Receive(reply, fds, out int nfds);
                    for (int k = 0; k < nfds; k++) SeqPacketSocket.CloseFd(fds[k]);
                    if (n < ReplyHeader.Size) throw new InvalidOperationException($"reply to a {lens[i]}-byte request: recv returned {n}");
                    var h = MemoryMarshal.Read<ReplyHeader>(reply);
                    int expectLength = lens[i] <= RequestMessage.MaxSize ? lens[i] : 0;
                    if (h.MessageLength != expectLength || h.DetailLength is < 0 or > ReplyHeader.MaxDetail
                        || n != ReplyHeader.Size + h.MessageLength + h.DetailLength || h.Errno is < 0 or > 255)
                        throw new InvalidOperationException($"malformed reply to a {lens[i]}-byte request: errno {h.Errno}, {h.MessageLength}+{h.DetailLength} bytes in {n}");
                    var e = (Errno)h.Errno;
                    if (lens[i] < NmReqHeader.Size && e != Errno.EINVAL) throw new InvalidOperationException($"a {lens[i]}-byte request got {e}");
                    if (lens[i] > RequestMessage.MaxSize && e != Errno.EMSGSIZE) throw new InvalidOperationException($"a {lens[i]}-byte request got {e}");
                    if (nfds > 0 && e != Errno.None) throw new InvalidOperationException($"descriptors came with {e}");
                    if (nfds > 0) registered++;
                    Interlocked.Increment(ref errnos[h.Errno]);
                    replies++;
                }
                if (drop)
                {
                    s.Dispose();
                    s = SeqPacketSocket.Connect(socketPath);
                    reconnects++;
                }
            }
        }
        finally
        {
            s.Dispose();
        }
        return new FuzzResult(replies, reconnects, registered);
    }

    private static readonly RequestType[] KnownTypes = Enum.GetValues<RequestType>();
    private static readonly string[] PipeNames = ["f{0", "f}0", "f{1", "g}2", "f{3"];
    private static readonly string[] OtherNames = ["eth0", "vale0:a", "vale1:b", "lo", "x", "f{", "{1", "f{1{2", "f{ 1", "netmap:eth0", "null0",
        "pif0", "pif1", "vale0:pif0", "vale1:pif0", "vale0:pif1"];
    /// <summary>Persistent interfaces outlive their request (that is their point): the fuzz creates them only under
    /// these names, and removes them before counting descriptors.</summary>
    private static readonly string[] PersistentNames = ["pif0", "pif1"];

    /// <summary>
    /// One request into <paramref name="m"/>; returns its length (0..4300). Most are nearly valid: a header, a body
    /// and an option chain laid out as a client would, with one or more fields wrong (version, type, reserved,
    /// offsets past the end, inside the header or unaligned, option loops, bad option types and sizes, random
    /// bodies). Some are pure noise, some too short, some too long.
    /// </summary>
    private static int FuzzRequest(Random rng, byte[] m)
    {
        int shape = rng.Next(1000);
        if (shape < 15)
        {
            int len = rng.Next(0, FuzzMaxLength + 1);
            rng.NextBytes(m.AsSpan(0, len));
            return len;
        }
        if (shape < 30)
        {
            int len = rng.Next(0, NmReqHeader.Size);
            rng.NextBytes(m.AsSpan(0, len));
            return len;
        }

        m.AsSpan(0, FuzzMaxLength).Clear();
        var span = m.AsSpan(0, FuzzMaxLength);
        ref var h = ref RequestMessage.Header(span);
        int v = rng.Next(20);
        h.Version = v < 17 ? NetmapConstants.Api : v == 17 ? NetmapConstants.MaxApi : (ushort)(v == 18 ? 13 : rng.Next(65536));
        int t = rng.Next(40);
        h.RequestType = t < 36 ? KnownTypes[rng.Next(KnownTypes.Length)] : t == 36 ? 0 : t == 37 ? (RequestType)99 : (RequestType)rng.Next(65536);
        h.Reserved = rng.Next(50) == 0 ? (uint)rng.Next() | 1u : 0;
        int n = rng.Next(100);
        if (n < 40) { /* empty name */ }
        else if (n < 41) h.TrySetName(PipeNames[rng.Next(PipeNames.Length)]);
        else if (n < 80) h.TrySetName(OtherNames[rng.Next(OtherNames.Length)]);
        else if (n < 90) rng.NextBytes(h.Name); // no NUL, invalid UTF-8
        else { Span<byte> name = h.Name; for (int i = rng.Next(1, 64) - 1; i >= 0; i--) name[i] = (byte)rng.Next(32, 127); }
        if (h.RequestType == RequestType.ValeNewInterface) h.TrySetName(PersistentNames[rng.Next(PersistentNames.Length)]);

        // Body: where the client would put it, usually.
        int declared = RequestMessage.BodySize(h.RequestType) ?? rng.Next(0, 200);
        int bodySize = Math.Max(declared, 0);
        int bodyAt = rng.Next(8) == 0 ? NmReqHeader.Size + 8 * rng.Next(0, 64) : NmReqHeader.Size;
        h.Body = declared > 0 ? (ulong)bodyAt : 0;
        int b = rng.Next(30);
        if (b == 0) h.Body = 0;
        else if (b == 1) h.Body = (ulong)bodyAt;
        else if (b == 2) h.Body = (ulong)rng.Next(0, NmReqHeader.Size);
        else if (b == 3) h.Body = ulong.MaxValue - (ulong)rng.Next(0, 100);
        else if (b == 4) h.Body = (ulong)rng.Next(0, FuzzMaxLength + 200);
        if (bodySize > 0 && bodyAt + bodySize <= FuzzMaxLength)
        {
            var body = span.Slice(bodyAt, bodySize);
            if (rng.Next(3) == 0) rng.NextBytes(body);
            else if (h.RequestType == RequestType.Register) FuzzRegisterBody(rng, ref RequestMessage.At<NmReqRegister>(span, (ulong)bodyAt));
            else if (rng.Next(2) == 0) body[rng.Next(bodySize)] = (byte)rng.Next(256);
        }
        int end = bodyAt + bodySize;

        // Options.
        if (rng.Next(5) < 2)
        {
            int count = rng.Next(1, 7);
            int prev = 0, first = 0;
            int at = (end + 7) & ~7;
            for (int i = 0; i < count; i++)
            {
                if (rng.Next(10) == 0) at += rng.Next(1, 16); // unaligned, or a gap
                OptionType type = rng.Next(12) switch
                {
                    < 6 => (OptionType)rng.Next(1, (int)OptionType.Max),
                    6 => 0,
                    7 => OptionType.Max,
                    8 => (OptionType)77,
                    9 => (OptionType)rng.Next(),
                    _ => OptionType.SyncKloopEventFds,
                };
                ulong size = rng.Next(4) switch
                {
                    0 => 0,
                    1 => (ulong)rng.Next(0, 200),
                    2 => (ulong)rng.Next(0, 5000),
                    _ => (ulong)rng.NextInt64(),
                };
                if (at + NmReqOption.HeaderSize > FuzzMaxLength) break;
                var probe = new NmReqOption { Type = type, Size = size };
                long osize = Math.Max(RequestMessage.OptionSize(probe), NmReqOption.HeaderSize);
                ref var o = ref RequestMessage.At<NmReqOption>(span, (ulong)at);
                o = probe;
                o.Status = rng.Next(4) == 0 ? (uint)rng.Next() : 0;
                if (rng.Next(3) == 0 && at + osize <= FuzzMaxLength) rng.NextBytes(span.Slice(at + NmReqOption.HeaderSize, (int)osize - NmReqOption.HeaderSize));
                if (prev == 0) { h.Options = (ulong)at; first = at; }
                else RequestMessage.At<NmReqOption>(span, (ulong)prev).Next = (ulong)at;
                prev = at;
                end = (int)Math.Min(at + osize, FuzzMaxLength);
                at = (end + 7) & ~7;
            }
            if (prev != 0)
            {
                ref var last = ref RequestMessage.At<NmReqOption>(span, (ulong)prev);
                last.Next = rng.Next(12) switch
                {
                    0 => (ulong)prev,                                // loops on itself
                    1 => (ulong)first,                               // loops to the head
                    2 => (ulong)rng.Next(0, NmReqHeader.Size),       // into the header
                    3 => (ulong)rng.Next(end, FuzzMaxLength + 100),  // past the end (usually)
                    4 => ulong.MaxValue - (ulong)rng.Next(0, 64),
                    5 => (ulong)h.Body,                              // the body read as an option
                    _ => 0,
                };
            }
            if (rng.Next(40) == 0) h.Options = (ulong)rng.NextInt64();
        }

        // Length: the layout's end, sometimes padded, cut short or past the limit.
        int length = end;
        int l = rng.Next(40);
        if (l < 4) length += rng.Next(0, 64);
        else if (l < 6) length -= rng.Next(1, Math.Max(2, length - NmReqHeader.Size + 1));
        else if (l < 7) length = rng.Next(RequestMessage.MaxSize - 16, FuzzMaxLength + 1);
        return Math.Clamp(length, 0, FuzzMaxLength);
    }

    private static void FuzzRegisterBody(Random rng, ref NmReqRegister r)
    {
        r.Mode = rng.Next(6) == 0 ? (RegisterMode)rng.Next(0, 12) : RegisterMode.AllNic;
        r.Flags = (RegisterFlags)((ulong)rng.NextInt64() & (rng.Next(3) == 0 ? ~0UL : 0x3ff00UL)) & (rng.Next(2) == 0 ? RegisterFlags.Exclusive : ~RegisterFlags.None);
        r.MemId = rng.Next(10) switch { < 6 => 0, < 9 => NetmapConstants.GlobalMemId, _ => (ushort)rng.Next(65536) };
        r.RingId = (ushort)(rng.Next(4) == 0 ? rng.Next(65536) : rng.Next(4));
        // Ring and slot counts stay small mostly: a pipe allocates what it is asked for.
        r.TxRings = (ushort)(rng.Next(50) == 0 ? rng.Next(65536) : rng.Next(0, 3));
        r.RxRings = (ushort)(rng.Next(50) == 0 ? rng.Next(65536) : rng.Next(0, 3));
        r.TxSlots = (uint)(rng.Next(50) == 0 ? rng.Next() : rng.Next(0, 1025));
        r.RxSlots = (uint)(rng.Next(50) == 0 ? rng.Next() : rng.Next(0, 1025));
        r.ExtraBufs = (uint)(rng.Next(20) == 0 ? rng.Next() : rng.Next(0, 8));
        r.Offset = rng.Next(10) == 0 ? (ulong)rng.NextInt64() : 0;
    }

    // ------------------------------------------------------------ group lookup

    [Fact]
    public void ResolveGroup_AcceptsANumericGidOrANameFromTheGroupFile()
    {
        string file = Path.Combine(Path.GetTempPath(), $"group-{Guid.NewGuid():N}");
        File.WriteAllText(file, "root:x:0:\nnetmap:x:1234:alice,bob\nbroken line\nother:x:notanumber:\n");
        try
        {
            Assert.Equal(4321u, DaemonServer.ResolveGroup("4321", file));
            Assert.Equal(1234u, DaemonServer.ResolveGroup("netmap", file));
            Assert.Equal(0u, DaemonServer.ResolveGroup("root", file));
            Assert.Equal(Errno.EINVAL, Assert.Throws<NetmapException>(() => DaemonServer.ResolveGroup("other", file)).Errno);
            Assert.Equal(Errno.EINVAL, Assert.Throws<NetmapException>(() => DaemonServer.ResolveGroup("nobody-here", file)).Errno);
        }
        finally { File.Delete(file); }
    }

    [Fact]
    public void EncodeTruncated_CutsLongDetailsAtACharacterBoundary()
    {
        Span<byte> into = stackalloc byte[ReplyHeader.MaxDetail];
        string s = new string('a', ReplyHeader.MaxDetail - 1) + "é";

        int n = DaemonServer.EncodeTruncated(s, into);

        Assert.Equal(ReplyHeader.MaxDetail - 1, n);
        Assert.Equal(5, DaemonServer.EncodeTruncated("héllo", into) - 1);
    }

    private static string Tail(string s, int chars) => s.Length <= chars ? s : s[^chars..];
}
