using System.Diagnostics;
using System.Globalization;
using Xunit.Abstractions;

namespace Netmap.Tests.Scenarios;

/// <summary>
/// A netmap-testpeer child running "vale-shell" (tests/TestPeer/ValeShell.cs): commands go to its stdin one line at
/// a time, each answered by one "OK ..." or "FAIL ..." line. <see cref="Call"/> sends and waits for the answer;
/// <see cref="Post"/> + <see cref="Expect"/> let several children work at once. Every wait is bounded; a FAIL, a
/// timeout or an early exit fails the test with the child's whole output. SIGKILL on <see cref="Kill"/> and on
/// Dispose, which also writes the output to the test log.
/// </summary>
public sealed class ValeShellPeer : IDisposable
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(15);

    private readonly Process _process;
    private readonly List<string> _lines = new();
    private readonly ITestOutputHelper? _log;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly Queue<string> _pending = new();
    private int _repliesTaken;
    private bool _disposed;

    private ValeShellPeer(string name, Process process, ITestOutputHelper? log)
    {
        Name = name; _process = process; _log = log;
        _process.OutputDataReceived += (_, e) => { if (e.Data is not null) Add(e.Data); };
        _process.ErrorDataReceived += (_, e) => { if (e.Data is not null) Add("stderr: " + e.Data); };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    /// <summary>Starts <c>netmap-testpeer SOCKET vale-shell</c> and, with <paramref name="wait"/>, waits for its READY
    /// (else call <see cref="WaitForReady"/>: starting several children first lets their runtimes start in parallel).</summary>
    public static ValeShellPeer Start(ITestOutputHelper? log, string name, string socket, bool wait = true)
    {
        var psi = new ProcessStartInfo(ScenarioPaths.TestPeer)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        };
        psi.ArgumentList.Add(socket);
        psi.ArgumentList.Add("vale-shell");
        psi.Environment.Remove("NETMAP_SOCKET");
        psi.Environment.Remove("NETMAP_NO_AUTOSTART");
        psi.Environment.Remove("NETMAPD_PATH");
        var p = Process.Start(psi) ?? throw new InvalidOperationException($"{psi.FileName}: could not start");
        log?.WriteLine($"[{name}] started pid {p.Id}: netmap-testpeer {socket} vale-shell");
        var peer = new ValeShellPeer(name, p, log);
        if (!wait) return peer;
        try { peer.WaitForReady(); }
        catch { peer.Dispose(); throw; }
        return peer;
    }

    public string Name { get; }
    public int Pid => _process.Id;
    public bool HasExited => _process.HasExited;

    public string Output { get { lock (_lines) return string.Join('\n', _lines); } }

    private void Add(string line)
    {
        lock (_lines)
        {
            _lines.Add(line);
            Monitor.PulseAll(_lines);
        }
    }

    /// <summary>Waits (bounded) for the child's READY: it runs and reads commands.</summary>
    public void WaitForReady()
    {
        var timeout = DefaultTimeout;
        var deadline = Stopwatch.StartNew();
        lock (_lines)
        {
            while (!_lines.Contains(PeerProtocol.Ready))
            {
                if (_process.HasExited || deadline.Elapsed > timeout)
                    throw new Xunit.Sdk.XunitException($"[{Name}] no {PeerProtocol.Ready} ({(_process.HasExited ? "exited" : "timeout")}):\n{string.Join('\n', _lines)}");
                Monitor.Wait(_lines, 50);
            }
        }
    }

    /// <summary>Sends <paramref name="command"/> without waiting for its answer (take it with <see cref="Expect"/>).</summary>
    public void Post(string command)
    {
        lock (_lines) _lines.Add("> " + command);
        _pending.Enqueue(command);
        _process.StandardInput.WriteLine(command);
        _process.StandardInput.Flush();
    }

    /// <summary>The answer to the oldest posted command: the text after "OK VERB "; fails on FAIL, on exit and after
    /// <paramref name="timeout"/> (default <see cref="DefaultTimeout"/>).</summary>
    public string Expect(TimeSpan? timeout = null)
    {
        var limit = timeout ?? DefaultTimeout;
        string command = _pending.Count > 0 ? _pending.Dequeue() : throw new InvalidOperationException("no command posted");
        string verb = command.Split(' ')[0];
        var deadline = Stopwatch.StartNew();
        lock (_lines)
        {
            while (true)
            {
                int seen = 0;
                foreach (var l in _lines)
                {
                    if (!l.StartsWith("OK ", StringComparison.Ordinal) && !l.StartsWith("FAIL ", StringComparison.Ordinal)) continue;
                    if (seen++ < _repliesTaken) continue;
                    _repliesTaken++;
                    if (l.StartsWith("FAIL ", StringComparison.Ordinal))
                        throw new Xunit.Sdk.XunitException($"[{Name}] {command}: {l}\n{string.Join('\n', _lines)}");
                    string head = "OK " + verb;
                    if (!l.StartsWith(head, StringComparison.Ordinal))
                        throw new Xunit.Sdk.XunitException($"[{Name}] {command}: answer \"{l}\" is not for it\n{string.Join('\n', _lines)}");
                    return l[head.Length..].TrimStart();
                }
                if (_process.HasExited)
                {
                    Monitor.Wait(_lines, 200);
                    if (_lines.Count(x => x.StartsWith("OK ", StringComparison.Ordinal) || x.StartsWith("FAIL ", StringComparison.Ordinal)) > _repliesTaken) continue;
                    throw new Xunit.Sdk.XunitException($"[{Name}] exited with {_process.ExitCode} before answering {command}:\n{string.Join('\n', _lines)}");
                }
                if (deadline.Elapsed > limit)
                    throw new Xunit.Sdk.XunitException($"[{Name}] no answer to {command} within {limit.TotalSeconds} s:\n{string.Join('\n', _lines)}");
                Monitor.Wait(_lines, 50);
            }
        }
    }

    /// <summary>Sends <paramref name="command"/> and returns its answer (see <see cref="Expect"/>).</summary>
    public string Call(string command, TimeSpan? timeout = null)
    {
        Post(command);
        return Expect(timeout);
    }

    /// <summary>"open NAME SPEC": returns the port's mem_id.</summary>
    public ushort Open(string name, string spec) => (ushort)Field(Call($"open {name} {spec}"), "mem_id");

    /// <summary>The integer after <paramref name="key"/> in an answer ("... key 42 ...").</summary>
    public static long Field(string answer, string key)
    {
        var w = answer.Split(' ');
        int i = Array.IndexOf(w, key);
        if (i < 0 || i + 1 >= w.Length) throw new Xunit.Sdk.XunitException($"no {key} in \"{answer}\"");
        return long.Parse(w[i + 1], CultureInfo.InvariantCulture);
    }

    /// <summary>The word after <paramref name="key"/> in an answer.</summary>
    public static string Word(string answer, string key)
    {
        var w = answer.Split(' ');
        int i = Array.IndexOf(w, key);
        if (i < 0 || i + 1 >= w.Length) throw new Xunit.Sdk.XunitException($"no {key} in \"{answer}\"");
        return w[i + 1];
    }

    /// <summary>The "tags T:N,..." list of an answer as a dictionary (empty for "-").</summary>
    public static Dictionary<uint, long> Tags(string answer)
    {
        var d = new Dictionary<uint, long>();
        string list = Word(answer, "tags");
        if (list == "-") return d;
        foreach (var kv in list.Split(','))
        {
            var p = kv.Split(':');
            d[uint.Parse(p[0], CultureInfo.InvariantCulture)] = long.Parse(p[1], CultureInfo.InvariantCulture);
        }
        return d;
    }

    /// <summary>SIGKILL, then waits until the kernel has reaped it.</summary>
    public void Kill()
    {
        try
        {
            if (!_process.HasExited) _process.Kill();
        }
        catch (InvalidOperationException) { }
        _process.WaitForExit(5000);
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        bool wasRunning = !_process.HasExited;
        Kill();
        try { _log?.WriteLine($"[{Name}] pid {_process.Id} {(wasRunning ? "killed" : $"exit {_process.ExitCode}")} after {_clock.Elapsed.TotalSeconds:F2} s; output:\n  {Output.Replace("\n", "\n  ")}"); }
        catch (InvalidOperationException) { }
        _process.Dispose();
    }
}
