using System.Diagnostics;
using Netmap;
using Netmap.Interop;

namespace Netmapd;

/// <summary>
/// <c>--detach</c>: the process the user (or DaemonLocator's autostart) ran becomes a launcher. It re-executes
/// netmapd without --detach in a new session (setsid(1)), stdio on /dev/null and cwd /, so the daemon outlives the
/// launcher, its terminal and the client that started it. The launcher exits 0 once a connect to the socket
/// succeeds, or 1 with the daemon's reason if the daemon exited first (or did not listen within 10 s).
/// The daemon reports a startup failure by writing it to the status file named by
/// <see cref="NetmapdOptions.DetachedVariable"/> (its stderr goes nowhere).
/// </summary>
internal static class Detach
{
    private const int ReadyTimeoutMs = 10_000;

    public static int Run(NetmapdOptions options, string[] args)
    {
        string socketPath = Path.GetFullPath(options.SocketPath);
        if (IsListening(socketPath))
        {
            // Another launcher won the race (or the daemon was already up): a daemon serves this path.
            Console.Error.WriteLine($"netmapd: already listening on {socketPath}");
            return 0;
        }

        string statusFile = Path.Combine(Path.GetTempPath(), $"netmapd-{Environment.ProcessId}-{Guid.NewGuid():N}.status");
        Process child;
        try
        {
            // Created here, deleted when we are done: the daemon only ever writes into an existing one, so a daemon
            // failing after we returned (it lost a race to another launcher's daemon) leaves nothing behind.
            File.WriteAllBytes(statusFile, []);
            // The daemon runs in /: a relative --socket must not change meaning (the last --socket wins).
            // Likewise the plugin assemblies of --vale-lookup.
            child = StartDaemon([.. ValeLookupSpec.WithAbsoluteAssemblyPaths(args).Where(a => a != "--detach"), "--socket", socketPath], statusFile);
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException or IOException or UnauthorizedAccessException)
        {
            TryDelete(statusFile);
            Console.Error.WriteLine($"netmapd: cannot start the daemon: {e.Message}");
            return 1;
        }

        try
        {
            var clock = Stopwatch.StartNew();
            bool exited = false;
            while (clock.ElapsedMilliseconds < ReadyTimeoutMs)
            {
                if (IsListening(socketPath)) return 0;
                if (!exited && child.WaitForExit(20))
                {
                    exited = true;
                    // Exit 0 before listening: setsid forked (we were a group leader) or another daemon took the
                    // path; keep polling. Anything else is the daemon's failure.
                    if (child.ExitCode != 0)
                    {
                        if (IsListening(socketPath)) return 0;
                        string reason = ReadStatus(statusFile) ?? $"exited with code {child.ExitCode}";
                        Console.Error.WriteLine($"netmapd: the daemon failed to start: {reason}");
                        return 1;
                    }
                }
                else if (exited) Thread.Sleep(20);
            }
            Console.Error.WriteLine($"netmapd: the daemon did not listen on {socketPath} within {ReadyTimeoutMs / 1000} s");
            if (!exited) { try { child.Kill(); } catch (InvalidOperationException) { } }
            return 1;
        }
        finally
        {
            child.Dispose();
            TryDelete(statusFile);
        }
    }

    private static Process StartDaemon(string[] args, string statusFile)
    {
        string exe = Environment.ProcessPath ?? throw new InvalidOperationException("the path of this executable is unknown");
        var command = new List<string> { exe };
        // Run as "dotnet netmapd.dll": re-execute the same way.
        if (Path.GetFileNameWithoutExtension(exe) == "dotnet")
            command.Add(typeof(Detach).Assembly.Location);
        command.AddRange(args);

        // The shell redirects the daemon's stdio to /dev/null and closes every other inherited descriptor before exec,
        // so nothing of the launcher (or of whoever reads the launcher's pipes) stays tied to the daemon; setsid(1)
        // gives it its own session (no terminal, no SIGHUP, no SIGINT from the client's terminal). Both exec: the pid
        // we watch is the daemon's.
        const string setsid = "/usr/bin/setsid";
        bool bash = File.Exists("/bin/bash");
        string shell = bash ? "/bin/bash" : "/bin/sh";
        // dash cannot name descriptors above 9 in a redirection; bash can.
        string closeInherited = bash
            ? "for f in /proc/$$/fd/*; do f=${f##*/}; [ \"$f\" -gt 2 ] 2>/dev/null && eval \"exec $f>&-\"; done 2>/dev/null; "
            : "";
        var psi = new ProcessStartInfo(File.Exists(setsid) ? setsid : shell)
        {
            UseShellExecute = false,
            WorkingDirectory = "/",
        };
        if (File.Exists(setsid)) psi.ArgumentList.Add(shell);
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add(closeInherited + "exec \"$@\" </dev/null >/dev/null 2>&1");
        psi.ArgumentList.Add("netmapd");
        foreach (var a in command) psi.ArgumentList.Add(a);
        psi.Environment[NetmapdOptions.DetachedVariable] = statusFile;
        return Process.Start(psi) ?? throw new InvalidOperationException($"{psi.FileName}: could not start");
    }

    private static bool IsListening(string socketPath)
    {
        try
        {
            using var probe = SeqPacketSocket.Connect(socketPath);
            return true;
        }
        catch (NetmapException)
        {
            return false;
        }
    }

    private static string? ReadStatus(string statusFile)
    {
        try
        {
            var s = File.ReadAllText(statusFile).Trim();
            return s.Length == 0 ? null : s;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; }
    }

    private static void TryDelete(string path)
    {
        try { File.Delete(path); } catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
    }

    /// <summary>In the detached daemon: records why it could not start, for the launcher.</summary>
    public static void ReportFailure(string message)
    {
        var statusFile = Environment.GetEnvironmentVariable(NetmapdOptions.DetachedVariable);
        if (string.IsNullOrEmpty(statusFile)) return;
        try
        {
            // Open, never create: once the launcher is gone (and has deleted the file) nobody is listening.
            using var f = new FileStream(statusFile, FileMode.Open, FileAccess.Write);
            f.SetLength(0);
            f.Write(System.Text.Encoding.UTF8.GetBytes(message));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
    }
}
