using System.Diagnostics;
using System.Text;
using Netmap.Tests.Scenarios;

namespace Netmap.Tests.Interposer;

/// <summary>
/// Our C test programs (native/interposer/tests), compiled with gcc and make once per test run into a directory of
/// their own, and the bin/netmap-run that runs them (installed by the build of src/Netmap.Interpose, which the test
/// project references).
/// </summary>
public static class CPrograms
{
    private static readonly Lazy<string> Built = new(Build);

    /// <summary>The directory holding the compiled test programs (nmtest, nm-pkt).</summary>
    public static string Directory => Built.Value;

    public static string NmTest => Path.Combine(Directory, "nmtest");

    /// <summary>bin/netmap-run at the repository root.</summary>
    public static string NetmapRun
    {
        get
        {
            string p = Path.Combine(ScenarioPaths.RepositoryRoot, "bin", "netmap-run");
            if (!File.Exists(p)) throw new FileNotFoundException($"{p} not found: build src/Netmap.Interpose (dotnet build -c Release Netmap.slnx)");
            return p;
        }
    }

    private static string Build()
    {
        string src = Path.Combine(ScenarioPaths.RepositoryRoot, "native", "interposer");
        string outDir = Path.Combine(Path.GetTempPath(), $"nmi-tests-{Environment.ProcessId}");
        var (code, output) = Run("make", $"-s -C {src} tests OUT={outDir}", null, 120_000);
        if (code != 0) throw new InvalidOperationException($"make tests failed ({code}):\n{output}");
        return Path.Combine(outDir, "tests");
    }

    /// <summary>Runs <paramref name="file"/> with <paramref name="args"/>; returns the exit code and stdout+stderr.
    /// Kills it (and fails with what it printed) after <paramref name="timeoutMs"/>.</summary>
    public static (int ExitCode, string Output) Run(string file, string args, IDictionary<string, string?>? env, int timeoutMs = 60_000)
    {
        var psi = new ProcessStartInfo(file, args) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (env is not null)
            foreach (var (k, v) in env)
            {
                if (v is null) psi.Environment.Remove(k); else psi.Environment[k] = v;
            }
        using var p = Process.Start(psi) ?? throw new InvalidOperationException($"{file}: could not start");
        var sb = new StringBuilder();
        p.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (sb) sb.AppendLine(e.Data); };
        p.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (sb) sb.AppendLine(e.Data); };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        if (!p.WaitForExit(timeoutMs))
        {
            p.Kill(entireProcessTree: true);
            p.WaitForExit();
            lock (sb) throw new TimeoutException($"{file} {args}: still running after {timeoutMs} ms:\n{sb}");
        }
        p.WaitForExit();
        lock (sb) return (p.ExitCode, sb.ToString());
    }

    /// <summary>Environment for a program under netmap-run talking to <paramref name="socket"/> only (no autostart).</summary>
    public static Dictionary<string, string?> Env(string socket) => new()
    {
        ["NETMAP_SOCKET"] = socket,
        ["NETMAP_NO_AUTOSTART"] = "1",
        ["NETMAP_INTERPOSE_VERBOSE"] = "1",
    };
}
