using System.Diagnostics;
using System.Text;
using Netmap.Abi;
using Netmap.Interop;

namespace Netmap.Tests.Infrastructure;

/// <summary>
/// The real netmapd executable, started as a child process on a socket of its own under /tmp; ready (accepting
/// connections) when the constructor returns, killed and cleaned up on Dispose. Use it as an IClassFixture, or
/// create one per test with <see cref="Start"/>.
/// </summary>
/// <remarks>
/// The executable is the one the test project builds (it references Netmapd with ReferenceOutputAssembly=false):
/// src/Netmapd/bin/&lt;Configuration of this test assembly&gt;/net10.0/netmapd, found by walking up from the test
/// assembly to the directory holding Netmap.slnx. NETMAPD_PATH overrides it.
/// </remarks>
public sealed class DaemonFixture : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _stderr = new();
    private readonly string _directory;
    private bool _disposed;

    public DaemonFixture() : this(Array.Empty<string>(), null) { }

    private DaemonFixture(IReadOnlyList<string> extraArgs, string[]? wrapper)
    {
        _directory = Path.Combine("/tmp", $"netmapd-test-{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..8]}");
        SocketPath = Path.Combine(_directory, "netmapd.sock");
        ExecutablePath = FindExecutable();

        var psi = new ProcessStartInfo(wrapper?[0] ?? ExecutablePath)
        {
            UseShellExecute = false,
            RedirectStandardInput = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        if (wrapper is not null)
        {
            foreach (var w in wrapper[1..]) psi.ArgumentList.Add(w);
            psi.ArgumentList.Add(ExecutablePath);
        }
        psi.ArgumentList.Add("--socket");
        psi.ArgumentList.Add(SocketPath);
        foreach (var a in extraArgs) psi.ArgumentList.Add(a);
        psi.Environment.Remove("NETMAP_SOCKET");
        _process = Process.Start(psi) ?? throw new InvalidOperationException($"{ExecutablePath}: could not start");
        _process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_stderr) _stderr.AppendLine(e.Data); };
        _process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (_stderr) _stderr.AppendLine(e.Data); };
        _process.BeginErrorReadLine();
        _process.BeginOutputReadLine();

        var clock = Stopwatch.StartNew();
        while (true)
        {
            if (TryConnect()) break;
            if (_process.HasExited)
            {
                _process.WaitForExit();
                throw new InvalidOperationException($"netmapd exited with {_process.ExitCode} before listening on {SocketPath}:\n{Stderr}");
            }
            if (clock.ElapsedMilliseconds > 20_000)
            {
                Dispose();
                throw new TimeoutException($"netmapd did not listen on {SocketPath} within 20 s:\n{Stderr}");
            }
            Thread.Sleep(20);
        }
    }

    /// <summary>Starts a daemon of its own for one test, with extra command-line arguments (e.g. "--verbose").</summary>
    public static DaemonFixture Start(params string[] extraArgs) => new(extraArgs, null);

    /// <summary>Starts a daemon under a command that execs it (e.g. <c>prlimit --nofile=400:400</c>): the pid stays the daemon's.</summary>
    public static DaemonFixture StartUnder(string[] wrapper, params string[] extraArgs) => new(extraArgs, wrapper);

    /// <summary>The directory holding the socket (the daemon creates it).</summary>
    public string Directory => _directory;

    /// <summary>Threads of the daemon now (/proc/PID/status).</summary>
    public int ThreadCount => int.Parse(File.ReadLines($"/proc/{ProcessId}/status").First(l => l.StartsWith("Threads:", StringComparison.Ordinal))[8..].Trim());

    /// <summary>The daemon's open descriptors as "fd -> target" (a reused number with another target counts as new).</summary>
    public List<string> Descriptors()
    {
        var list = new List<string>();
        foreach (var f in System.IO.Directory.GetFiles($"/proc/{ProcessId}/fd"))
        {
            string target;
            try { target = new FileInfo(f).LinkTarget ?? "?"; } catch (IOException) { continue; }
            list.Add($"{Path.GetFileName(f)} -> {target}");
        }
        return list;
    }

    /// <summary>Waits (up to <paramref name="timeoutMs"/>) until the daemon holds no descriptor that is not in
    /// <paramref name="baseline"/>; returns those still new.</summary>
    public List<string> WaitForDescriptors(IReadOnlyCollection<string> baseline, int timeoutMs = 5000)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var extra = Descriptors().Except(baseline).ToList();
            if (extra.Count == 0 || clock.ElapsedMilliseconds > timeoutMs) return extra;
            Thread.Sleep(20);
        }
    }

    /// <summary>The socket the daemon listens on (unique to this fixture).</summary>
    public string SocketPath { get; }

    /// <summary>The netmapd executable that was started.</summary>
    public string ExecutablePath { get; }

    public int ProcessId => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>Everything the daemon logged so far (stderr, plus stdout if it ever writes there).</summary>
    public string Stderr { get { lock (_stderr) return _stderr.ToString(); } }

    /// <summary>Waits (up to <paramref name="timeoutMs"/>) for the daemon to log a line containing <paramref name="text"/>
    /// (its stderr is read asynchronously); returns the log so far.</summary>
    public string WaitForLog(string text, int timeoutMs = 5000)
    {
        var clock = Stopwatch.StartNew();
        while (!Stderr.Contains(text, StringComparison.Ordinal) && clock.ElapsedMilliseconds < timeoutMs) Thread.Sleep(10);
        return Stderr;
    }

    /// <summary>Waits for the daemon to exit (after a signal); false on timeout.</summary>
    public bool WaitForExit(int timeoutMs)
    {
        if (!_process.WaitForExit(timeoutMs)) return false;
        _process.WaitForExit(); // flushes the asynchronous stderr reader
        return true;
    }

    public int ExitCode => _process.ExitCode;

    /// <summary>Sends a signal to the daemon (15 = SIGTERM, 2 = SIGINT).</summary>
    public void Signal(int signal) => Libc.kill(_process.Id, signal);

    private bool TryConnect()
    {
        try
        {
            using var s = SeqPacketSocket.Connect(SocketPath);
            return true;
        }
        catch (NetmapException e) when (e.Errno is Errno.ENOENT or Errno.ECONNREFUSED)
        {
            return false;
        }
    }

    /// <summary>
    /// NETMAPD_PATH, else src/Netmapd/bin/{this configuration, the other one}/net10.0/netmapd under the repository
    /// root (the directory holding Netmap.slnx, found upwards from the test assembly), else bin/netmapd there.
    /// </summary>
    public static string FindExecutable()
    {
        var env = Environment.GetEnvironmentVariable("NETMAPD_PATH");
        if (!string.IsNullOrEmpty(env)) return env;

        string baseDir = AppContext.BaseDirectory;
        string? root = baseDir;
        while (root is not null && !File.Exists(Path.Combine(root, "Netmap.slnx"))) root = Path.GetDirectoryName(root.TrimEnd('/'));
        if (root is null) throw new FileNotFoundException($"no Netmap.slnx above {baseDir}: cannot locate netmapd (set NETMAPD_PATH)");

        // .../tests/Netmap.Tests/bin/<Configuration>/net10.0/
        string tfmDir = Path.GetFileName(baseDir.TrimEnd('/'));
        string configuration = Path.GetFileName(Path.GetDirectoryName(baseDir.TrimEnd('/')) ?? "Debug");
        var candidates = new List<string>();
        foreach (var c in new[] { configuration, "Debug", "Release" }.Distinct())
            candidates.Add(Path.Combine(root, "src", "Netmapd", "bin", c, tfmDir, "netmapd"));
        candidates.Add(Path.Combine(root, "bin", "netmapd"));
        foreach (var c in candidates)
            if (File.Exists(c)) return c;
        throw new FileNotFoundException($"netmapd not found; looked at:\n  {string.Join("\n  ", candidates)}\n(build src/Netmapd or set NETMAPD_PATH)");
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        try
        {
            if (!_process.HasExited)
            {
                // SIGTERM first (clean shutdown unlinks the socket); SIGKILL if it does not stop.
                Signal(15);
                if (!_process.WaitForExit(5000)) _process.Kill(entireProcessTree: true);
                _process.WaitForExit(5000);
            }
        }
        catch (InvalidOperationException) { }
        _process.Dispose();
        try { System.IO.Directory.Delete(_directory, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
