using System.Diagnostics;
using Netmap.Interop;

namespace Netmap.Tests.Infrastructure;

/// <summary>
/// Runs programs as an unprivileged uid through setpriv(1) (util-linux; the test itself runs as root): for tests of
/// what netmapd grants or refuses to other users. A program run this way gets PATH=/usr/bin:/bin, HOME=/tmp and only
/// the environment given.
/// </summary>
public static class OtherUser
{
    public const string Setpriv = "/usr/bin/setpriv";
    /// <summary>The uid and gid of "nobody" on Debian.</summary>
    public const uint Nobody = 65534;

    /// <summary>True when uids can be switched here (root, setpriv present).</summary>
    public static bool Available => ProcessInfo.IsRoot && File.Exists(Setpriv);

    /// <summary>Why <see cref="Available"/> is false, for the test log.</summary>
    public static string Unavailable => ProcessInfo.IsRoot ? $"{Setpriv} is missing" : "not root: cannot switch uids";

    private static int _next = Random.Shared.Next(0, 2000);

    /// <summary>A uid (and gid) no account uses, different at each call (tests running at once never share one).</summary>
    public static uint FreshId() => (uint)(61000 + Interlocked.Increment(ref _next) % 4000);

    /// <summary>A python3 any uid may run (/usr/bin/python3 first: a pyenv shim under /root is root's only), or null.</summary>
    public static string? Python
        => new[] { "/usr/bin/python3", "/usr/local/bin/python3", "/bin/python3" }.FirstOrDefault(File.Exists);

    /// <summary>The setpriv prefix that runs a command as <paramref name="uid"/>/<paramref name="gid"/> with exactly the
    /// supplementary <paramref name="groups"/> (none by default).</summary>
    public static string[] Prefix(uint uid, uint gid, params uint[] groups)
        => [Setpriv, "--reuid", uid.ToString(), "--regid", gid.ToString(),
            .. groups.Length == 0 ? (string[])["--clear-groups"] : ["--groups", string.Join(',', groups)]];

    /// <summary>Environment entries that make a child of the test look like a fresh login of another user: the
    /// test's XDG_RUNTIME_DIR, HOME and NETMAP_* removed (PeerProcess removes NETMAP_*), HOME=/tmp.</summary>
    public static Dictionary<string, string?> Environment(IDictionary<string, string?>? extra = null)
    {
        var env = new Dictionary<string, string?> { ["HOME"] = "/tmp", ["XDG_RUNTIME_DIR"] = null, ["NETMAP_SYSTEM_SOCKET"] = null, ["DOTNET_CLI_HOME"] = "/tmp" };
        if (extra is not null) foreach (var (k, v) in extra) env[k] = v;
        return env;
    }

    /// <summary>Starts <paramref name="argv"/> as <paramref name="uid"/> (gid the same, no supplementary groups), stdin,
    /// stdout and stderr redirected.</summary>
    public static Process Start(uint uid, IReadOnlyList<string> argv, IDictionary<string, string?>? env = null, uint[]? groups = null)
    {
        var prefix = Prefix(uid, uid, groups ?? []);
        var psi = new ProcessStartInfo(prefix[0])
        {
            UseShellExecute = false, RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true,
            WorkingDirectory = "/tmp",
        };
        foreach (var a in prefix[1..]) psi.ArgumentList.Add(a);
        foreach (var a in argv) psi.ArgumentList.Add(a);
        psi.Environment.Clear();
        psi.Environment["PATH"] = "/usr/bin:/bin";
        foreach (var (k, v) in Environment(env)) if (v is not null) psi.Environment[k] = v;
        return Process.Start(psi) ?? throw new InvalidOperationException($"{Setpriv}: could not start");
    }

    /// <summary>chown(1): gives <paramref name="path"/> to <paramref name="uid"/>:<paramref name="gid"/>.</summary>
    public static void Chown(string path, uint uid, uint gid)
    {
        using var p = Process.Start(new ProcessStartInfo("chown", ["-h", $"{uid}:{gid}", path]) { UseShellExecute = false, RedirectStandardError = true })!;
        string err = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"chown {uid}:{gid} {path}: {err}");
    }
}
