using System.Text.RegularExpressions;

namespace Netmap.Tests.Infrastructure;

/// <summary>
/// The suite must pass on a fresh machine that has the .NET SDK, iproute2, gcc, make, python3, util-linux and procps,
/// and nothing else: no test source (tests/**/*.cs, and shell scripts under tests/ and scripts/) may start ethtool,
/// ping, tcpdump, tshark or their kin. Offloads go through <c>EthtoolFeatures</c>, echo through <see cref="IcmpEcho"/>,
/// captures through packet sockets (<c>PacketPeer</c>).
/// What counts as starting one: in a string literal (comments do not count), the program's name followed by an
/// argument (an option, a hole, an address: "ping -c 1", $"ethtool -K {dev}"), or its path (/usr/sbin/ethtool), or a
/// literal that is exactly its name (the file of a ProcessStartInfo) except pkt-gen's "-f", "ping".
/// </summary>
public sealed class ExternalProgramTests
{
    private static readonly string[] Forbidden = ["ethtool", "ping", "ping6", "arping", "tcpdump", "tshark", "dumpcap"];

    private static readonly Regex CommandLine = new(
        @"(?<![\w.-])(?<!-f\s+)(?:" + string.Join("|", Forbidden.Select(Regex.Escape)) + @")(?=\s+[-{$\d'""]|\s*$|\s*[;&|)`])",
        RegexOptions.CultureInvariant | RegexOptions.Multiline);

    private static readonly Regex ProgramPath = new(
        @"/(?:usr/)?(?:local/)?s?bin/(?:" + string.Join("|", Forbidden.Select(Regex.Escape)) + @")(?![\w.-])", RegexOptions.CultureInvariant);

    [Fact]
    public void NoTestSource_StartsEthtoolPingTcpdumpOrTshark()
    {
        string root = Scenarios.ScenarioPaths.RepositoryRoot;
        string self = Path.Combine(root, "tests", "Netmap.Tests", "Infrastructure", nameof(ExternalProgramTests) + ".cs");
        var offenders = new List<string>();
        int scanned = 0;
        foreach (var file in Directory.EnumerateFiles(Path.Combine(root, "tests"), "*.cs", SearchOption.AllDirectories))
        {
            var parts = Path.GetRelativePath(root, file).Split(Path.DirectorySeparatorChar);
            if (parts.Contains("obj") || parts.Contains("bin") || file == self) continue; // self: its samples are offences
            scanned++;
            foreach (var hit in OffencesInCSharp(File.ReadAllText(file))) offenders.Add($"{Path.GetRelativePath(root, file)}:{hit}");
        }
        foreach (var dir in new[] { "tests", "scripts" })
            foreach (var file in Directory.EnumerateFiles(Path.Combine(root, dir), "*.sh", SearchOption.AllDirectories))
            {
                scanned++;
                foreach (var hit in OffencesInShell(File.ReadAllText(file))) offenders.Add($"{Path.GetRelativePath(root, file)}:{hit}");
            }
        Assert.True(offenders.Count == 0, "tests start programs a fresh machine does not have:\n" + string.Join("\n", offenders));
        Assert.True(scanned > 100, $"only {scanned} files scanned: the scanner looks in the wrong place and cannot be trusted");
    }

    [Theory]
    [InlineData("lab.Exec(ns, $\"ethtool -K {dev} tx off\");")]
    [InlineData("lab.TryExec(ns, \"ping -c 1 -W 1 10.0.0.2\", 5000);")]
    [InlineData("lab.TryExec(ns, $\"ping {HostRingBed.PeerIp}\");")]
    [InlineData("lab.Start(ns, \"ping6 -c 3 fe80::1\");")]
    [InlineData("var psi = new ProcessStartInfo(\"tcpdump\") { UseShellExecute = false };")]
    [InlineData("var psi = new ProcessStartInfo { FileName = \"tshark\" };")]
    [InlineData("psi.ArgumentList.Add(\"/usr/sbin/ethtool\");")]
    [InlineData("lab.Exec(ns, \"ip link set x up; ethtool -k x\");")]
    [InlineData("lab.Exec(null, \"ip netns exec a ping -c1 10.0.0.1\");")]
    [InlineData("lab.Exec(null, @\"tcpdump -i any -w x.pcap\");")]
    [InlineData("lab.Exec(null, \"\"\"\"\"\"ethtool -k lo\"\"\"\"\"\");")]
    [InlineData("var s = $\"{(x ? \"a\" : \"b\")} then ping -c 2 {ip}\";")]
    public void Scanner_SeesProgramsStarted(string code)
        => Assert.NotEmpty(OffencesInCSharp(code.Replace("\"\"\"\"\"\"", "\"\"\"")));

    [Theory]
    [InlineData("// lab.Exec(ns, \"ethtool -K dev tx off\");")]
    [InlineData("/* ping -c 1 10.0.0.2 */ int x = 1;")]
    [InlineData("/// <summary>as <c>ethtool -K IF tx off</c> would</summary>")]
    [InlineData("Assert.True(ok, \"ping did not come back after SIGKILL\");")]
    [InlineData("Start(host, stop, \"-i\", \"netmap:pp{1\", \"-f\", \"ping\", \"-n\", \"50\");")]
    [InlineData("[InlineData(\"-i\", \"p{1\", \"-f\", \"ping\", \"-l\", \"40\")]")]
    [InlineData("var r = lab.Ping(ns, \"10.0.0.1\", count: 3);")]
    [InlineData("throw new Exception(\"the ethtool ioctl failed\");")]
    [InlineData("lab.Exec(ns, \"pkt-gen -f ping -n 5\");")]
    [InlineData("var pingResult = $\"{ping} {ethtool}\"; char c = '\"';")]
    public void Scanner_IgnoresCommentsProseAndPktGenPing(string code) => Assert.Empty(OffencesInCSharp(code));

    [Fact]
    public void Scanner_ReadsShellScripts()
    {
        Assert.NotEmpty(OffencesInShell("set -e\nip netns exec a ping -c 1 10.0.0.1\n"));
        Assert.NotEmpty(OffencesInShell("sudo ethtool -K veth0 gro off"));
        Assert.Empty(OffencesInShell("# ethtool -K veth0 gro off\nbin/pkt-gen -i netmap:x -f ping -n 5\necho done # tcpdump -i x\n"));
    }

    /// <summary>"line: literal" for each literal of <paramref name="source"/> that starts a forbidden program.</summary>
    private static IEnumerable<string> OffencesInCSharp(string source)
    {
        string? previous = null;
        foreach (var (before, text, line) in CSharpSource.StringLiterals(source))
        {
            string t = text.Trim();
            bool offends = Forbidden.Contains(t)
                ? !(previous == "-f" && before.Trim() == ",") // a bare name: a program file, unless pkt-gen's function
                : CommandLine.IsMatch(text) || ProgramPath.IsMatch(text);
            if (offends) yield return $"{line}: \"{text}\"";
            previous = text;
        }
    }

    private static IEnumerable<string> OffencesInShell(string script)
    {
        var lines = script.Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            string l = Regex.Replace(lines[i], @"(^|\s)#.*$", "");
            if (CommandLine.IsMatch(l) || ProgramPath.IsMatch(l)) yield return $"{i + 1}: {lines[i].Trim()}";
        }
    }
}
