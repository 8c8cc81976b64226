using System.Diagnostics;
using System.Net;
using Netmap.Interop;

namespace Netmap.Tests.Infrastructure;

/// <summary>
/// Network namespaces and veth pairs made for one test, with unique names, all deleted on Dispose (a namespace
/// takes its interfaces with it; root-namespace veths are deleted explicitly). Needs root: CI runs as root.
/// <code>
/// using var lab = new NetworkLab();
/// var ns = lab.Namespace("a");                       // "nmt-a-1a2b3c"
/// var (root, peer) = lab.Veth(peerNamespace: ns);    // root end in this namespace, peer end inside ns
/// lab.Exec(ns, "ip addr add 10.9.0.1/24 dev " + peer);
/// </code>
/// </summary>
public sealed class NetworkLab : IDisposable
{
    private readonly string _tag = Guid.NewGuid().ToString("N")[..6];
    private readonly List<string> _namespaces = new();
    private readonly List<string> _rootLinks = new();
    private int _next;
    private bool _disposed;

    /// <summary>Labs not disposed yet. A test class whose constructor throws is never disposed by xunit (nor is a fixture
    /// whose constructor throws), so whatever such a lab created is deleted when the test process exits.</summary>
    private static readonly HashSet<NetworkLab> s_live = new();

    static NetworkLab() => AppDomain.CurrentDomain.ProcessExit += (_, _) =>
    {
        NetworkLab[] left;
        lock (s_live) left = s_live.ToArray();
        foreach (var lab in left) lab.Dispose();
    };

    public NetworkLab()
    {
        lock (s_live) s_live.Add(this);
    }

    /// <summary>Creates a namespace named nmt-<paramref name="name"/>-TAG with loopback up.</summary>
    public string Namespace(string name)
    {
        string ns = $"nmt-{name}-{_tag}";
        Run("ip", $"netns add {ns}");
        _namespaces.Add(ns);
        Run("ip", $"-n {ns} link set lo up");
        return ns;
    }

    /// <summary>
    /// A veth pair, both ends prepared for capture (<see cref="PrepareLink"/>): up, IPv6 off, offloads off. The first
    /// end stays in <paramref name="rootNamespace"/> (null = the test's own namespace), the second moves to
    /// <paramref name="peerNamespace"/> when given. <paramref name="queues"/> sets both rx and tx queue counts.
    /// </summary>
    public (string First, string Second) Veth(string? peerNamespace = null, string? rootNamespace = null, int queues = 1)
    {
        int n = Interlocked.Increment(ref _next);
        string a = $"nma{_tag}{n}", b = $"nmb{_tag}{n}";
        string nsA = rootNamespace is null ? "" : $"-n {rootNamespace} ";
        Run("ip", $"{nsA}link add {a} numtxqueues {queues} numrxqueues {queues} type veth peer name {b} numtxqueues {queues} numrxqueues {queues}");
        if (rootNamespace is null) _rootLinks.Add(a);
        if (peerNamespace is not null) Run("ip", $"{nsA}link set {b} netns {peerNamespace}");
        PrepareLink(rootNamespace, a);
        PrepareLink(peerNamespace ?? rootNamespace, b);
        return (a, b);
    }

    /// <summary>The offloads <see cref="PrepareLink"/> turns off, as <c>ethtool -K IF tx off rx off tso off gso off gro off</c>
    /// would: frames then leave the stack with complete checksums and at most MTU-sized, as netmap users configure
    /// interfaces.</summary>
    public static readonly IReadOnlyDictionary<string, bool> CaptureOffloads = new Dictionary<string, bool>
    {
        ["tx"] = false, ["rx"] = false, ["tso"] = false, ["gso"] = false, ["gro"] = false,
    };

    /// <summary>
    /// Readies <paramref name="dev"/> in <paramref name="ns"/> for tests that look at its frames: IPv6 off (no router
    /// solicitations or MLD reports in captures), <see cref="CaptureOffloads"/> off, the MTU when given, then up. No
    /// external program but ip for the MTU: /proc/sys and the ethtool ioctl from a thread inside the namespace.
    /// </summary>
    public void PrepareLink(string? ns, string dev, int mtu = 0)
    {
        In(ns, () =>
        {
            DisableIpv6(dev);
            EthtoolFeatures.Set(dev, CaptureOffloads);
            return 0;
        });
        if (mtu != 0) Exec(ns, $"ip link set {dev} mtu {mtu}");
        In(ns, () =>
        {
            int rc = TunTap.BringUp(dev);
            if (rc < 0) throw new InvalidOperationException($"{dev} in {ns ?? "the test's namespace"}: set up: {SystemError.Name(-rc)}");
            return 0;
        });
    }

    /// <summary>Runs <paramref name="action"/> on a thread inside <paramref name="ns"/> (null: right here); sockets it
    /// creates, ioctls and /proc/sys/net act in that namespace.</summary>
    public T In<T>(string? ns, Func<T> action) => ns is null ? action() : NetNamespace.RunInPath($"/run/netns/{ns}", ns, action);

    /// <summary>The content of /proc/sys/<paramref name="path"/> (e.g. "net/ipv6/conf/lo/disable_ipv6") as seen in
    /// <paramref name="ns"/>, trimmed.</summary>
    public string ReadSysctl(string? ns, string path) => In(ns, () => File.ReadAllText("/proc/sys/" + path).Trim());

    /// <summary>ICMP echo from <paramref name="ns"/> to <paramref name="address"/>, without the ping program (see
    /// <see cref="IcmpEcho"/>): <paramref name="count"/> requests <paramref name="intervalMs"/> apart, waiting up to
    /// <paramref name="timeoutMs"/> after the last for replies.</summary>
    public PingResult Ping(string? ns, string address, int count = 1, int intervalMs = 200, int timeoutMs = 1000)
        => IcmpEcho.Run(ns, IPAddress.Parse(address), count, intervalMs, timeoutMs);

    /// <summary><see cref="Ping"/> running in the background while the test does something else.</summary>
    public Task<PingResult> PingAsync(string? ns, string address, int count = 1, int intervalMs = 200, int timeoutMs = 1000)
        => IcmpEcho.RunAsync(ns, IPAddress.Parse(address), count, intervalMs, timeoutMs);

    /// <summary>net.ipv6.conf.DEV.disable_ipv6 = 1 in the calling thread's namespace (nothing to do without IPv6).</summary>
    private static void DisableIpv6(string dev)
    {
        string path = $"/proc/sys/net/ipv6/conf/{dev}/disable_ipv6";
        if (File.Exists(path)) File.WriteAllText(path, "1\n");
    }

    /// <summary>Runs a shell command in <paramref name="ns"/> (null = here); throws with its output when it fails.</summary>
    public string Exec(string? ns, string command, int timeoutMs = 30_000)
        => ns is null ? Run("sh", $"-c \"{command}\"", timeoutMs) : Run("ip", $"netns exec {ns} sh -c \"{command}\"", timeoutMs);

    /// <summary>Like <see cref="Exec"/> but returns the exit code and output instead of throwing.</summary>
    public (int ExitCode, string Output) TryExec(string? ns, string command, int timeoutMs = 30_000)
        => ns is null ? TryRun("sh", $"-c \"{command}\"", timeoutMs) : TryRun("ip", $"netns exec {ns} sh -c \"{command}\"", timeoutMs);

    /// <summary>Starts a long-running command in <paramref name="ns"/>; the caller kills it.</summary>
    public Process Start(string? ns, string command)
    {
        var psi = ns is null ? new ProcessStartInfo("sh") : new ProcessStartInfo("ip");
        if (ns is not null) { psi.ArgumentList.Add("netns"); psi.ArgumentList.Add("exec"); psi.ArgumentList.Add(ns); psi.ArgumentList.Add("sh"); }
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add("exec " + command);
        psi.RedirectStandardOutput = true;
        psi.RedirectStandardError = true;
        psi.UseShellExecute = false;
        return Process.Start(psi)!;
    }

    /// <summary>True when the XDP hook of <paramref name="dev"/> in <paramref name="ns"/> has a program attached.</summary>
    public bool HasXdpProgram(string? ns, string dev) => Exec(ns, $"ip -d link show dev {dev}").Contains(" xdp", StringComparison.Ordinal) || Exec(ns, $"ip -d link show dev {dev}").Contains("prog/xdp", StringComparison.Ordinal);

    /// <summary>True once <paramref name="dev"/> has no XDP program, waiting up to <paramref name="waitMs"/>: a child
    /// process another test forks meanwhile holds copies of our descriptors (a bpf_link among them) until its exec
    /// closes them, so a detach can take effect a few milliseconds late.</summary>
    public bool XdpProgramGone(string? ns, string dev, int waitMs = 3000)
    {
        var deadline = Environment.TickCount64 + waitMs;
        while (HasXdpProgram(ns, dev))
        {
            if (Environment.TickCount64 > deadline) return false;
            Thread.Sleep(50);
        }
        return true;
    }

    private static string Run(string file, string args, int timeoutMs = 30_000)
    {
        var (code, output) = TryRun(file, args, timeoutMs);
        if (code != 0) throw new InvalidOperationException($"`{file} {args}` exited {code}: {output}");
        return output;
    }

    private static (int, string) TryRun(string file, string args, int timeoutMs)
    {
        var psi = new ProcessStartInfo(file, args) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeoutMs)) { try { p.Kill(true); } catch { } return (-1, $"timed out after {timeoutMs} ms"); }
        return (p.ExitCode, stdout.Result + stderr.Result);
    }

    public void Dispose()
    {
        lock (s_live)
        {
            if (_disposed) return;
            _disposed = true;
            s_live.Remove(this);
        }
        foreach (var l in _rootLinks) TryRun("ip", $"link del {l}", 10_000);
        foreach (var ns in _namespaces) TryRun("ip", $"netns del {ns}", 10_000);
    }
}
