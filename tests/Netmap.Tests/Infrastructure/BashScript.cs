using System.Diagnostics;
using System.Text;

namespace Netmap.Tests.Infrastructure;

/// <summary>
/// A bash script run the way users' scripts run the tools: <c>bash -c SCRIPT</c> (non-interactive, no job control,
/// no terminal), in a temporary directory of its own (the script's $PWD, removed on Dispose), with the given
/// environment. The whole process tree is killed when the time runs out and on Dispose, so a failing test leaves
/// no tool behind.
/// </summary>
public sealed class BashScript : IDisposable
{
    private BashScript(string directory) => Directory = directory;

    /// <summary>The script's working directory (files the script wrote are read from here).</summary>
    public string Directory { get; }

    /// <summary>Exit status of bash.</summary>
    public int ExitCode { get; private set; }

    /// <summary>What the script printed on stdout and stderr, interleaved.</summary>
    public string Output { get; private set; } = "";

    /// <summary>Runs <paramref name="script"/>; fails the test (after killing the tree) if it takes longer than
    /// <paramref name="timeout"/>. NETMAP_SOCKET, NETMAP_NO_AUTOSTART and NETMAPD_PATH are removed from the
    /// environment unless <paramref name="environment"/> sets them (a null value removes a variable).</summary>
    public static BashScript Run(string script, IDictionary<string, string?> environment, TimeSpan timeout)
    {
        string dir = Path.Combine("/tmp", $"netmap-bash-{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..8]}");
        System.IO.Directory.CreateDirectory(dir);
        var run = new BashScript(dir);
        var psi = new ProcessStartInfo("bash")
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            WorkingDirectory = dir,
        };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add(script);
        foreach (var v in new[] { "NETMAP_SOCKET", "NETMAP_NO_AUTOSTART", "NETMAPD_PATH" }) psi.Environment.Remove(v);
        foreach (var (k, v) in environment)
            if (v is null) psi.Environment.Remove(k); else psi.Environment[k] = v;
        var output = new StringBuilder();
        using var p = Process.Start(psi) ?? throw new InvalidOperationException("bash: could not start");
        p.StandardInput.Close();
        p.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        p.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        if (!p.WaitForExit(timeout))
        {
            try { p.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
            p.WaitForExit(5000);
            string partial;
            lock (output) partial = output.ToString();
            run.Dispose();
            throw new Xunit.Sdk.XunitException($"the script did not end within {timeout.TotalSeconds} s (killed):\n{partial}");
        }
        p.WaitForExit(); // flushes the asynchronous readers
        run.ExitCode = p.ExitCode;
        lock (output) run.Output = output.ToString();
        return run;
    }

    /// <summary>The text of a file the script wrote in its directory ("" if it does not exist).</summary>
    public string File(string name)
    {
        string path = Path.Combine(Directory, name);
        return System.IO.File.Exists(path) ? System.IO.File.ReadAllText(path) : "";
    }

    /// <summary>The value of the last "KEY=VALUE" line the script printed, or null.</summary>
    public string? Value(string key)
    {
        string? found = null;
        foreach (var line in Output.Split('\n'))
            if (line.StartsWith(key + "=", StringComparison.Ordinal)) found = line[(key.Length + 1)..].TrimEnd('\r');
        return found;
    }

    /// <summary>Everything, for failure messages: the script's output and every file it left.</summary>
    public override string ToString()
    {
        var sb = new StringBuilder($"exit {ExitCode}; output:\n{Output}");
        if (System.IO.Directory.Exists(Directory))
            foreach (var f in System.IO.Directory.EnumerateFiles(Directory).Order())
                sb.Append($"--- {Path.GetFileName(f)}:\n{System.IO.File.ReadAllText(f)}");
        return sb.ToString();
    }

    public void Dispose()
    {
        try { System.IO.Directory.Delete(Directory, recursive: true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
