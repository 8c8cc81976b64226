using System.Globalization;
using System.Text.RegularExpressions;
using Netmap.Tests.Infrastructure;
using Netmap.Tests.Scenarios;
using Xunit.Abstractions;

namespace Netmap.Tests.Tools;

// Test objective: the built pkt-gen and bridge executables end, when signalled from a bash script the way users'
// scripts signal them, as netmap's C tools do: with their final summary and exit status 0, whatever the number of
// SIGINT/SIGTERM (timeout(1) signals the child and then its process group; users press ^C twice), also when they were
// started as background jobs of a non-interactive shell, which inherit SIGINT as SIG_IGN (netmap's signal() call
// overrides that; the .NET runtime alone would keep it ignored). A tool waiting in Poll (no traffic, or a full TX
// ring) is not held by its 1-2 s poll timeouts. Each test runs against a private netmapd, and checks that neither the
// tools nor the daemon are left running.
[Collection(ScenarioCollection.Name)]
public sealed partial class ToolSignalScenarioTests(ITestOutputHelper log)
{
    /// <summary>Shell helpers: waitfor FILE TEXT (bounded, 15 s); endwait PID: wait for a child that was signalled,
    /// SIGKILL after 10 s ("STUCK", status 137); sigign PID: its SigIgn mask.</summary>
    private const string Prelude = """
        set -u
        waitfor() { for _ in $(seq 300); do grep -q -- "$2" "$1" 2>/dev/null && return 0; sleep 0.05; done; echo "TIMEOUT waiting for '$2' in $1"; return 1; }
        endwait() {
            local s
            for _ in $(seq 200); do s=$(awk '{ print $3 }' /proc/$1/stat 2>/dev/null); if [ -z "$s" ] || [ "$s" = Z ]; then wait $1; return; fi; sleep 0.05; done
            echo "STUCK $1: SIGKILL"; kill -KILL $1; wait $1
        }
        sigign() { awk '/^SigIgn:/ { print $2 }' /proc/$1/status; }

        """;

    [GeneratedRegex(@"^Sent (\d+) packets \d+ bytes \d+ events \d+ bytes each in [\d.]+ seconds\.$", RegexOptions.Multiline)]
    private static partial Regex SentLine();

    [GeneratedRegex(@"^Received (\d+) packets \d+ bytes \d+ events \d+ bytes each in [\d.]+ seconds\.$", RegexOptions.Multiline)]
    private static partial Regex ReceivedLine();

    private BashScript Run(DaemonFixture daemon, string script, int timeoutSeconds = 60)
    {
        var env = new Dictionary<string, string?>
        {
            ["PKTGEN"] = ScenarioPaths.PktGen,
            ["BRIDGE"] = ScenarioPaths.Bridge,
            ["NETMAP_SOCKET"] = daemon.SocketPath,
            ["NETMAP_NO_AUTOSTART"] = "1",
        };
        var run = BashScript.Run(Prelude + script, env, TimeSpan.FromSeconds(timeoutSeconds));
        log.WriteLine(run.ToString());
        return run;
    }

    /// <summary>Every pid the script reported as KEY_pid=N is gone (the script waited for it), and the daemon, once
    /// disposed, too: nothing is left running.</summary>
    private static void AssertNothingLeft(BashScript run, DaemonFixture daemon, params string[] keys)
    {
        foreach (var k in keys)
        {
            int pid = int.Parse(run.Value(k + "_pid") ?? throw new Xunit.Sdk.XunitException($"no {k}_pid line\n{run}"), CultureInfo.InvariantCulture);
            Assert.False(Directory.Exists($"/proc/{pid}"), $"{k} (pid {pid}) is still running\n{run}");
        }
        string socket = daemon.SocketPath;
        daemon.Dispose();
        Assert.Empty(ProcStat.DaemonsOn(socket));
    }

    private static long Packets(Regex line, string output, string what)
    {
        var m = line.Match(output);
        Assert.True(m.Success, $"no final '{what}' line in:\n{output}");
        return long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
    }

    [Fact]
    public void BackgroundJobs_OfANonInteractiveShell_EndOnSigint_WithTheirSummary()
    {
        using var daemon = DaemonFixture.Start();
        using var run = Run(daemon, """
            sleep 30 & probe=$!; echo "probe_sigign=$(sigign $probe)"; kill $probe
            "$PKTGEN" -i netmap:sg}1 -f rx -w 0 >rx.out 2>rx.err & rx=$!; echo "rx_pid=$rx"
            "$PKTGEN" -i netmap:sg{1 -f tx -w 0 -R 20000 >tx.out 2>tx.err & tx=$!; echo "tx_pid=$tx"
            waitfor tx.err 'main_thread' && waitfor rx.err 'main_thread'
            echo "tx_sigign=$(sigign $tx)"
            kill -INT $tx; endwait $tx; echo "tx_rc=$?"
            kill -INT $rx; endwait $rx; echo "rx_rc=$?"
            """);
        // bash really gave its background jobs SIGINT as SIG_IGN (bit 1 of SigIgn), and pkt-gen took it back.
        const ulong sigintBit = 1UL << (2 - 1);
        Assert.True((ulong.Parse(run.Value("probe_sigign")!, NumberStyles.HexNumber) & sigintBit) != 0, run.ToString());
        Assert.True((ulong.Parse(run.Value("tx_sigign")!, NumberStyles.HexNumber) & sigintBit) == 0, run.ToString());
        Assert.True(run.Value("tx_rc") == "0" && run.Value("rx_rc") == "0", run.ToString());
        long sent = Packets(SentLine(), run.File("tx.out"), "Sent");
        long received = Packets(ReceivedLine(), run.File("rx.out"), "Received");
        Assert.True(sent > 0 && received == sent, run.ToString()); // a pipe loses nothing; the sender drained first
        Assert.Contains("sigint_h [646] received control-C", run.File("tx.err"));
        AssertNothingLeft(run, daemon, "tx", "rx");
    }

    [Fact]
    public void Timeout_SignalsTheChildAndItsGroup_TheToolStillEndsWithItsSummary()
    {
        using var daemon = DaemonFixture.Start();
        // timeout(1) sends SIGINT to pkt-gen and then to its whole process group; --preserve-status makes it exit
        // with pkt-gen's status (without it, timeout itself reports 124 for "timed out").
        using var run = Run(daemon, """
            timeout --preserve-status -s INT 6 "$PKTGEN" -i netmap:st}1 -f rx -w 0 >rx.out 2>rx.err & rx=$!; echo "rx_pid=$rx"
            waitfor rx.err 'Ready' || exit 1
            timeout --preserve-status -s INT 3 "$PKTGEN" -i netmap:st{1 -f tx -w 0 -R 20000 >tx.out 2>tx.err; echo "tx_rc=$?"
            endwait $rx; echo "rx_rc=$?"
            timeout -s INT 2 "$PKTGEN" -i netmap:su{1 -f tx -w 0 >tx2.out 2>tx2.err & t2=$!; echo "t2_pid=$t2"; endwait $t2; echo "t2_rc=$?"
            """);
        Assert.True(run.Value("tx_rc") == "0" && run.Value("rx_rc") == "0", run.ToString());
        long sent = Packets(SentLine(), run.File("tx.out"), "Sent");
        Assert.Equal(sent, Packets(ReceivedLine(), run.File("rx.out"), "Received"));
        // Plain timeout: its own status 124, and pkt-gen (a sender on a full ring, nobody receiving) still summarised.
        Assert.True(run.Value("t2_rc") == "124", run.ToString());
        Packets(SentLine(), run.File("tx2.out"), "Sent");
        AssertNothingLeft(run, daemon, "rx", "t2");
    }

    [Fact]
    public void RepeatedSigint_InQuickSuccession_DoesNotKillTheTool()
    {
        using var daemon = DaemonFixture.Start();
        // A sender on a ring nobody drains sits in Poll(Out, 2000), a receiver with no traffic in Poll(In, 1000):
        // both must end on the signals at once, and five SIGINTs in a row must not kill either.
        using var run = Run(daemon, """
            "$PKTGEN" -i netmap:sd{1 -f tx -w 0 >tx.out 2>tx.err & tx=$!; echo "tx_pid=$tx"
            "$PKTGEN" -i netmap:se}1 -f rx -w 0 >rx.out 2>rx.err & rx=$!; echo "rx_pid=$rx"
            waitfor tx.err 'Ready' && waitfor rx.err 'Ready' || exit 1
            sleep 0.3
            start=$(date +%s%N)
            for i in 1 2 3 4 5; do kill -INT $tx $rx; done
            endwait $tx; echo "tx_rc=$?"; endwait $rx; echo "rx_rc=$?"
            echo "stop_ms=$(( ($(date +%s%N) - start) / 1000000 ))"
            """);
        Assert.True(run.Value("tx_rc") == "0" && run.Value("rx_rc") == "0", run.ToString());
        Packets(SentLine(), run.File("tx.out"), "Sent");
        Assert.Contains("Received nothing.", run.File("rx.out"));
        // Both ended well within their poll timeouts (1-2 s): StopSignal.Poll slices the sleeps.
        Assert.True(int.Parse(run.Value("stop_ms")!, CultureInfo.InvariantCulture) < 1500, run.ToString());
        AssertNothingLeft(run, daemon, "tx", "rx");
    }

    [Fact]
    public void Sigterm_EndsTheToolWithItsSummary()
    {
        using var daemon = DaemonFixture.Start();
        using var run = Run(daemon, """
            "$PKTGEN" -i netmap:sm}1 -f rx -w 0 >rx.out 2>rx.err & rx=$!; echo "rx_pid=$rx"
            "$PKTGEN" -i netmap:sm{1 -f tx -w 0 -R 20000 >tx.out 2>tx.err & tx=$!; echo "tx_pid=$tx"
            waitfor tx.err 'main_thread' || exit 1
            kill -TERM $tx; kill -TERM $tx; endwait $tx; echo "tx_rc=$?"
            kill -TERM $rx; endwait $rx; echo "rx_rc=$?"
            """);
        Assert.True(run.Value("tx_rc") == "0" && run.Value("rx_rc") == "0", run.ToString());
        long sent = Packets(SentLine(), run.File("tx.out"), "Sent");
        Assert.Equal(sent, Packets(ReceivedLine(), run.File("rx.out"), "Received"));
        AssertNothingLeft(run, daemon, "tx", "rx");
    }

    [Theory]
    [InlineData("INT")]
    [InlineData("TERM")]
    public void Bridge_InTheBackground_EndsOnSignals_WithItsCounters(string signal)
    {
        using var daemon = DaemonFixture.Start();
        // pkt-gen tx -> pipe sb -> bridge -> pipe sc -> pkt-gen rx; the bridge gets the signal twice.
        using var run = Run(daemon, $$"""
            "$PKTGEN" -i netmap:sc}1 -f rx -w 0 >rx.out 2>rx.err & rx=$!; echo "rx_pid=$rx"
            "$BRIDGE" -w 0 -i netmap:sb}1 -i netmap:sc{1 >br.out 2>br.err & br=$!; echo "br_pid=$br"
            waitfor br.err 'Ready to go' || exit 1
            "$PKTGEN" -i netmap:sb{1 -f tx -w 0 -n 20000 >tx.out 2>tx.err; echo "tx_rc=$?"
            waitfor rx.err 'main_thread'; sleep 0.5
            kill -{{signal}} $br; kill -{{signal}} $br; endwait $br; echo "br_rc=$?"
            kill -INT $rx; endwait $rx; echo "rx_rc=$?"
            """);
        Assert.True(run.Value("tx_rc") == "0" && run.Value("br_rc") == "0" && run.Value("rx_rc") == "0", run.ToString());
        Assert.Equal(20000, Packets(SentLine(), run.File("tx.out"), "Sent"));
        Assert.Equal(20000, Packets(ReceivedLine(), run.File("rx.out"), "Received"));
        Assert.Equal("20000 packets netmap:sb}1 -> netmap:sc{1\n0 packets netmap:sc{1 -> netmap:sb}1\n0 slots dropped or truncated\n", run.File("br.out"));
        AssertNothingLeft(run, daemon, "br", "rx");
    }
}
