using System.Diagnostics;
using System.Globalization;
using System.Text;
using Netmap.Api;
using Netmap.Interop;
using Netmap.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Netmap.Tests.Scenarios;

/// <summary>
/// The scenario tests run one at a time: each starts several processes (netmapd, netmap-testpeer children) and some
/// measure CPU time, so two of them sharing the 2 cores would only make both slower and noisier. They still run
/// in parallel with the unit tests.
/// </summary>
[CollectionDefinition(Name)]
public sealed class ScenarioCollection
{
    public const string Name = "Scenarios (multi-process)";
}

/// <summary>Where the executables the scenarios start live.</summary>
public static class ScenarioPaths
{
    /// <summary>The directory holding Netmap.slnx, found upwards from the test assembly.</summary>
    public static string RepositoryRoot
    {
        get
        {
            string? dir = AppContext.BaseDirectory;
            while (dir is not null && !File.Exists(Path.Combine(dir, "Netmap.slnx"))) dir = Path.GetDirectoryName(dir.TrimEnd('/'));
            return dir ?? throw new FileNotFoundException($"no Netmap.slnx above {AppContext.BaseDirectory}");
        }
    }

    /// <summary>The pkt-gen apphost: next to the test assembly (the test project references PktGen), else the tool's
    /// own output directory, else bin/ at the repository root.</summary>
    public static string PktGen => Tool("pkt-gen", "PktGen");

    /// <summary>The bridge apphost, found as <see cref="PktGen"/>.</summary>
    public static string Bridge => Tool("bridge", "Bridge");

    /// <summary>The apphost <paramref name="name"/> of tools/<paramref name="project"/>: next to the test assembly,
    /// else in the tool's output directory (this configuration, then Release, Debug), else bin/ at the root.</summary>
    public static string Tool(string name, string project)
    {
        string baseDir = AppContext.BaseDirectory.TrimEnd('/');
        string configuration = Path.GetFileName(Path.GetDirectoryName(baseDir) ?? "Release");
        var candidates = new List<string> { Path.Combine(baseDir, name) };
        foreach (var c in new[] { configuration, "Release", "Debug" }.Distinct())
            candidates.Add(Path.Combine(RepositoryRoot, "tools", project, "bin", c, Path.GetFileName(baseDir), name));
        candidates.Add(Path.Combine(RepositoryRoot, "bin", name));
        return candidates.FirstOrDefault(File.Exists)
            ?? throw new FileNotFoundException($"{name} not found; looked at:\n  {string.Join("\n  ", candidates)}");
    }

    /// <summary>The vale-ctl apphost next to the test assembly (the test project references ValeCtl).</summary>
    public static string ValeCtl
    {
        get
        {
            string path = Path.Combine(AppContext.BaseDirectory, "vale-ctl");
            return File.Exists(path) ? path : throw new FileNotFoundException($"vale-ctl not found at {path}");
        }
    }

    /// <summary>tests/TestPeer/bin/&lt;Configuration of this test assembly&gt;/net10.0/netmap-testpeer (built before the tests:
    /// Netmap.Tests references TestPeer with ReferenceOutputAssembly=false).</summary>
    public static string TestPeer
    {
        get
        {
            string baseDir = AppContext.BaseDirectory.TrimEnd('/');
            string tfm = Path.GetFileName(baseDir);
            string configuration = Path.GetFileName(Path.GetDirectoryName(baseDir) ?? "Debug");
            var candidates = new[] { configuration, "Debug", "Release" }.Distinct()
                .Select(c => Path.Combine(RepositoryRoot, "tests", "TestPeer", "bin", c, tfm, "netmap-testpeer")).ToList();
            foreach (var c in candidates)
                if (File.Exists(c)) return c;
            throw new FileNotFoundException($"netmap-testpeer not found; looked at:\n  {string.Join("\n  ", candidates)}\n(build tests/TestPeer)");
        }
    }

    /// <summary>The netmapd executable (the same one <see cref="DaemonFixture"/> starts).</summary>
    public static string Netmapd => DaemonFixture.FindExecutable();
}

/// <summary>
/// One netmap-testpeer child: its stdout (and stderr, prefixed) collected line by line, waits with timeouts,
/// SIGKILL on demand and on Dispose (so a failing test leaves no child behind), and its output written to the
/// test log when disposed.
/// </summary>
public sealed class PeerProcess : IDisposable
{
    private readonly Process _process;
    private readonly List<string> _lines = new();
    private readonly ITestOutputHelper? _log;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private bool _disposed;

    private PeerProcess(string name, Process process, ITestOutputHelper? log)
    {
        Name = name; _process = process; _log = log;
        _process.OutputDataReceived += (_, e) => { if (e.Data is not null) Add(e.Data); };
        _process.ErrorDataReceived += (_, e) => { if (e.Data is not null) Add("stderr: " + e.Data); };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    /// <summary>Starts <c>netmap-testpeer SOCKET ARGS...</c>. <paramref name="environment"/> entries with a null value
    /// are removed from the child's environment; NETMAP_SOCKET, NETMAP_NO_AUTOSTART and NETMAPD_PATH are always
    /// removed unless given.</summary>
    /// <paramref name="wrapper"/> runs it under another command (e.g. <c>ip netns exec NS</c>).
    public static PeerProcess Start(ITestOutputHelper? log, string name, string socket, string[] args, IDictionary<string, string?>? environment = null,
        string[]? wrapper = null)
    {
        var psi = new ProcessStartInfo(wrapper is null ? ScenarioPaths.TestPeer : wrapper[0])
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        };
        if (wrapper is not null)
        {
            foreach (var w in wrapper[1..]) psi.ArgumentList.Add(w);
            psi.ArgumentList.Add(ScenarioPaths.TestPeer);
        }
        psi.ArgumentList.Add(socket);
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment.Remove("NETMAP_SOCKET");
        psi.Environment.Remove("NETMAP_NO_AUTOSTART");
        psi.Environment.Remove("NETMAPD_PATH");
        if (environment is not null)
            foreach (var (k, v) in environment)
                if (v is null) psi.Environment.Remove(k); else psi.Environment[k] = v;
        var p = Process.Start(psi) ?? throw new InvalidOperationException($"{psi.FileName}: could not start");
        log?.WriteLine($"[{name}] started pid {p.Id}: netmap-testpeer {socket} {string.Join(' ', args)}");
        return new PeerProcess(name, p, log);
    }

    public string Name { get; }
    public int Pid => _process.Id;
    public bool HasExited => _process.HasExited;

    /// <summary>Everything the child printed so far.</summary>
    public string Output { get { lock (_lines) return string.Join('\n', _lines); } }

    private void Add(string line)
    {
        lock (_lines)
        {
            _lines.Add(line);
            Monitor.PulseAll(_lines);
        }
    }

    /// <summary>The first line starting with <paramref name="prefix"/> + (space or end); waits up to <paramref name="timeout"/>.
    /// Fails with the child's whole output when it exits first or the time runs out.</summary>
    public string WaitForLine(string prefix, TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        lock (_lines)
        {
            while (true)
            {
                foreach (var l in _lines)
                    if (l == prefix || l.StartsWith(prefix + " ", StringComparison.Ordinal)) return l;
                if (_process.HasExited)
                {
                    // Let the asynchronous readers deliver the last lines.
                    Monitor.Wait(_lines, 200);
                    foreach (var l in _lines)
                        if (l == prefix || l.StartsWith(prefix + " ", StringComparison.Ordinal)) return l;
                    throw new Xunit.Sdk.XunitException($"[{Name}] exited with {_process.ExitCode} without printing {prefix}:\n{string.Join('\n', _lines)}");
                }
                if (deadline.Elapsed > timeout)
                    throw new Xunit.Sdk.XunitException($"[{Name}] printed no {prefix} within {timeout.TotalSeconds} s:\n{string.Join('\n', _lines)}");
                Monitor.Wait(_lines, 50);
            }
        }
    }

    /// <summary>Waits for the child to exit (SIGKILL and fail after <paramref name="timeout"/>); returns the exit code.</summary>
    public int WaitForExit(TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        while (!_process.HasExited)
        {
            if (deadline.Elapsed > timeout)
            {
                Kill();
                throw new Xunit.Sdk.XunitException($"[{Name}] did not exit within {timeout.TotalSeconds} s (killed):\n{Output}");
            }
            Thread.Sleep(10);
        }
        // The readers reach EOF once the child is gone (nothing else holds its pipes); bounded anyway.
        Task.Run(() => _process.WaitForExit()).Wait(TimeSpan.FromSeconds(5));
        return _process.ExitCode;
    }

    /// <summary>Waits for a successful exit and fails with the output otherwise.</summary>
    public void ExpectSuccess(TimeSpan timeout)
    {
        int code = WaitForExit(timeout);
        if (code != 0) throw new Xunit.Sdk.XunitException($"[{Name}] exited with {code}:\n{Output}");
    }

    /// <summary>SIGKILL, then waits until the kernel has reaped it.</summary>
    public void Kill()
    {
        try
        {
            if (!_process.HasExited) _process.Kill(); // SIGKILL on Unix
        }
        catch (InvalidOperationException) { }
        _process.WaitForExit(5000);
    }

    /// <summary>utime + stime of the child from /proc (only while it runs).</summary>
    public TimeSpan CpuTime => ProcStat.CpuTime(Pid);

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        bool wasRunning = !_process.HasExited;
        Kill();
        try { _log?.WriteLine($"[{Name}] pid {_process.Id} {(wasRunning ? "killed" : $"exit {_process.ExitCode}")} after {_clock.Elapsed.TotalSeconds:F2} s; output:\n  {Output.Replace("\n", "\n  ")}"); }
        catch (InvalidOperationException) { } // no test is running any more
        _process.Dispose();
    }
}

/// <summary>/proc/PID/stat and /proc/PID/cmdline readers.</summary>
public static class ProcStat
{
    /// <summary>USER_HZ: /proc reports CPU times in these ticks; 100 on every Linux ABI .NET runs on.</summary>
    public const int TicksPerSecond = 100;

    /// <summary>utime + stime of <paramref name="pid"/>.</summary>
    public static TimeSpan CpuTime(int pid)
    {
        var f = Fields(pid);
        long ticks = long.Parse(f[13], CultureInfo.InvariantCulture) + long.Parse(f[14], CultureInfo.InvariantCulture);
        return TimeSpan.FromSeconds((double)ticks / TicksPerSecond);
    }

    /// <summary>The session id (field 6) of <paramref name="pid"/>.</summary>
    public static int SessionId(int pid) => int.Parse(Fields(pid)[5], CultureInfo.InvariantCulture);

    /// <summary>The fields of /proc/PID/stat, field 1 (pid) at index 0; the comm field is taken whole.</summary>
    private static string[] Fields(int pid)
    {
        string s = File.ReadAllText($"/proc/{pid}/stat");
        int close = s.LastIndexOf(')');
        var rest = s[(close + 2)..].Split(' ');
        return [s[..s.IndexOf(' ')], s[(s.IndexOf('(') + 1)..close], .. rest];
    }

    /// <summary>The argv of <paramref name="pid"/>, or null if it is gone.</summary>
    public static string[]? CommandLine(int pid)
    {
        try
        {
            var raw = File.ReadAllBytes($"/proc/{pid}/cmdline");
            return Encoding.UTF8.GetString(raw).TrimEnd('\0').Split('\0');
        }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
    }

    /// <summary>Pids of the processes whose argv contains "--socket" followed by <paramref name="socketPath"/>
    /// (what netmapd, detached or not, runs with).</summary>
    public static List<int> DaemonsOn(string socketPath)
    {
        var found = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out int pid)) continue;
            var argv = CommandLine(pid);
            if (argv is null) continue;
            for (int i = 0; i + 1 < argv.Length; i++)
                if (argv[i] == "--socket" && argv[i + 1] == socketPath) { found.Add(pid); break; }
                else if (argv[i] == "--socket=" + socketPath) { found.Add(pid); break; }
        }
        return found;
    }

    /// <summary>SIGTERM, then SIGKILL after <paramref name="graceMs"/>; true once the process is gone.</summary>
    public static bool Terminate(int pid, int graceMs = 3000)
    {
        Libc.kill(pid, 15);
        var clock = Stopwatch.StartNew();
        while (Directory.Exists($"/proc/{pid}") && !IsZombie(pid))
        {
            if (clock.ElapsedMilliseconds > graceMs) { Libc.kill(pid, 9); Thread.Sleep(50); break; }
            Thread.Sleep(10);
        }
        return !Directory.Exists($"/proc/{pid}") || IsZombie(pid);
    }

    private static bool IsZombie(int pid)
    {
        try { return Fields(pid)[2] == "Z"; } catch (IOException) { return false; }
    }
}

/// <summary>Receiving in the test process: reassembles NS_MOREFRAG chains and hands whole packets over.</summary>
public static class PortReader
{
    /// <summary>
    /// Hands every whole packet to <paramref name="onPacket"/> until it returns false (true is returned then), or
    /// until <paramref name="timeout"/> passes (false), or, with <paramref name="quiet"/>, until nothing arrived for
    /// that long (true). Waits with Poll(In).
    /// </summary>
    public static bool Read(NetmapPort port, Func<ReadOnlySpan<byte>, bool> onPacket, TimeSpan timeout, TimeSpan? quiet = null)
    {
        var asm = new byte[1 << 20];
        int asmLen = 0;
        var total = Stopwatch.StartNew();
        var idle = Stopwatch.StartNew();
        while (true)
        {
            bool any = false;
            while (port.NextPacket(out var frame, out var flags))
            {
                any = true;
                frame.CopyTo(asm.AsSpan(asmLen));
                asmLen += frame.Length;
                if ((flags & SlotFlags.MoreFragments) != 0) continue;
                bool more = onPacket(asm.AsSpan(0, asmLen));
                asmLen = 0;
                if (!more) { port.RxSync(); return true; }
            }
            if (any) idle.Restart();
            if (quiet is { } q && idle.Elapsed > q) { port.RxSync(); return true; }
            if (total.Elapsed > timeout) { port.RxSync(); return false; }
            var ev = port.Poll(PollEvents.In, 50);
            Assert.False((ev & PollEvents.Error) != 0, "poll reported POLLERR");
            if (ev == PollEvents.HangUp) port.WaitForPeer(50); // the sender is gone: sleep, do not spin on the hang-up
        }
    }
}

/// <summary>Checks stream packets: each well-formed, each stream's sequence contiguous from 0, streams not interleaved.</summary>
public sealed class StreamChecker
{
    private readonly Dictionary<uint, ulong> _next = new();
    private readonly List<uint> _order = new();

    public long Total { get; private set; }
    public long Count(uint stream) => _next.TryGetValue(stream, out var n) ? (long)n : 0;
    public IReadOnlyList<uint> Order => _order;

    public void Add(ReadOnlySpan<byte> packet)
    {
        var err = StreamPacket.Check(packet, out uint stream, out ulong seq);
        if (err is not null) throw new Xunit.Sdk.XunitException($"after {Total} good packets: {err}");
        if (!_next.TryGetValue(stream, out ulong want))
        {
            want = 0;
            _order.Add(stream);
        }
        else if (_order[^1] != stream)
            throw new Xunit.Sdk.XunitException($"stream {stream} seq {seq} arrived after stream {_order[^1]} had started");
        if (seq != want) throw new Xunit.Sdk.XunitException($"stream {stream}: seq {seq} arrived, expected {want}");
        _next[stream] = seq + 1;
        Total++;
    }
}

/// <summary>Sending stream packets from the test process.</summary>
public static class PortWriter
{
    /// <summary>
    /// Sends stream packets <paramref name="seq"/>.. of <paramref name="stream"/> up to <paramref name="until"/>
    /// (exclusive), syncing every 64; when the ring is full waits in Poll(Out) (cur = tail, so it sleeps until the
    /// tail moves). Gives up once nothing could be sent for <paramref name="stall"/>. Returns the next sequence number.
    /// </summary>
    public static ulong SendStream(NetmapPort port, uint stream, ulong seq, ulong until, TimeSpan stall)
    {
        var buf = new byte[StreamPacket.MaxLength];
        var idle = Stopwatch.StartNew();
        int len = StreamPacket.Write(buf, stream, seq);
        while (seq < until)
        {
            if (port.Inject(buf.AsSpan(0, len)))
            {
                seq++;
                idle.Restart();
                if (seq < until) len = StreamPacket.Write(buf, stream, seq);
                if (seq % 64 == 0) Assert.True(port.TxSync());
                continue;
            }
            Assert.True(port.TxSync());
            if (port.Inject(buf.AsSpan(0, len))) { seq++; idle.Restart(); if (seq < until) len = StreamPacket.Write(buf, stream, seq); continue; }
            if (idle.Elapsed > stall) break;
            foreach (var r in port.TxRings) r.Cur = r.Tail;
            var ev = port.Poll(PollEvents.Out, 50);
            Assert.False((ev & PollEvents.Error) != 0, "poll reported POLLERR");
            if (ev == PollEvents.HangUp) port.WaitForPeer(50); // the receiver is gone: sleep, do not spin on the hang-up
        }
        Assert.True(port.TxSync());
        return seq;
    }
}
