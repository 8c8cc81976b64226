using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;
using Netmap.Api;
using Netmap.Hosting;
using Netmap.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Netmap.Tests.Scenarios;

// Test objective: the built pkt-gen executable, end to end on a VALE switch of the real netmapd (NETMAP_SOCKET,
// no autostart): "pkt-gen -f tx -n 100000" on vale7:a and "pkt-gen -f rx" on vale7:b are two processes whose
// frames cross netmapd's forwarding worker. The sender reports 100000 packets, its port counts 100000 sent, and
// the receiver reports every packet the switch put in its ring: received + the rx drops the switch counted on
// vale7:b = 100000 (VALE has no back-pressure, so a slow receiver loses frames, but never silently).
[Collection(ScenarioCollection.Name)]
public sealed partial class ValePktGenScenarioTests(DaemonFixture daemon, ITestOutputHelper log) : IClassFixture<DaemonFixture>
{
    private const int Count = 100_000;

    [GeneratedRegex(@"^Received (\d+) packets (\d+) bytes ", RegexOptions.Multiline)]
    private static partial Regex ReceivedLine();

    [GeneratedRegex(@"^Sent (\d+) packets (\d+) bytes ", RegexOptions.Multiline)]
    private static partial Regex SentLine();

    private static string PktGenPath() => ScenarioPaths.PktGen;

    private sealed class Run(Process process, StringBuilder output) : IDisposable
    {
        public Process Process { get; } = process;
        public string Output { get { lock (output) return output.ToString(); } }

        public bool WaitForText(string text, TimeSpan timeout)
        {
            var clock = Stopwatch.StartNew();
            while (!Output.Contains(text, StringComparison.Ordinal))
            {
                if (Process.HasExited || clock.Elapsed > timeout) return Output.Contains(text, StringComparison.Ordinal);
                Thread.Sleep(5);
            }
            return true;
        }

        public int WaitForExit(TimeSpan timeout)
        {
            if (!Process.WaitForExit(timeout))
            {
                Process.Kill();
                throw new Xunit.Sdk.XunitException($"pkt-gen did not exit within {timeout.TotalSeconds} s:\n{Output}");
            }
            Process.WaitForExit(); // the output readers are done
            return Process.ExitCode;
        }

        public void Dispose()
        {
            try { if (!Process.HasExited) Process.Kill(); } catch (InvalidOperationException) { }
            Process.WaitForExit(5000);
            Process.Dispose();
        }
    }

    private Run Start(params string[] args)
    {
        var psi = new ProcessStartInfo(PktGenPath())
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["NETMAP_SOCKET"] = daemon.SocketPath;
        psi.Environment["NETMAP_NO_AUTOSTART"] = "1";
        psi.Environment.Remove("NETMAPD_PATH");
        var output = new StringBuilder();
        var p = Process.Start(psi) ?? throw new InvalidOperationException("pkt-gen did not start");
        p.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        p.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine("stderr: " + e.Data); };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        log.WriteLine($"started pid {p.Id}: pkt-gen {string.Join(' ', args)}");
        return new Run(p, output);
    }

    [Fact]
    public void PktGen_TxOnValeA_RxOnValeB_ReceivedPlusDropsEqualsSent()
    {
        var host = NetmapHost.Daemon(daemon.SocketPath);
        // TX-rings-only registrations of both ports keep them (and their counters) alive after pkt-gen exits,
        // without taking part in the traffic: the switch delivers only to bound RX rings, and these bind none.
        using var holdA = NetmapPort.Open("vale7:a/T", host);
        using var holdB = NetmapPort.Open("vale7:b/T", host);
        Assert.Empty(holdA.RxRings);

        // -W: the receiver ends after one second of silence if drops kept it from reaching -n.
        using var rx = Start("-i", "vale7:b", "-f", "rx", "-n", $"{Count}", "-W");
        Assert.True(rx.WaitForText("Receiving from vale7:b", TimeSpan.FromSeconds(15)), rx.Output);
        var clock = Stopwatch.StartNew();
        using var tx = Start("-i", "vale7:a", "-f", "tx", "-n", $"{Count}");
        int txExit = tx.WaitForExit(TimeSpan.FromSeconds(30));
        log.WriteLine($"tx (exit {txExit}, {clock.Elapsed.TotalSeconds:F2} s):\n{tx.Output}");
        Assert.Equal(0, txExit);
        var sent = SentLine().Match(tx.Output);
        Assert.True(sent.Success, tx.Output);
        Assert.Equal($"{Count}", sent.Groups[1].Value);

        var sa = ValeScenario.WaitForStats(host, "vale7:a", s => s.TxPackets == Count, $"{Count} packets sent");
        var sb = ValeScenario.WaitForStats(host, "vale7:b", s => s.RxPackets + s.RxDrops == Count, $"{Count} packets received or dropped");
        int rxExit = rx.WaitForExit(TimeSpan.FromSeconds(15));
        log.WriteLine($"rx (exit {rxExit}, {clock.Elapsed.TotalSeconds:F2} s):\n{rx.Output}");
        log.WriteLine($"vale7:a tx {sa.TxPackets} (drops {sa.TxDrops}); vale7:b rx {sb.RxPackets}, drops {sb.RxDrops}");
        Assert.Equal(0, rxExit);
        var received = ReceivedLine().Match(rx.Output);
        Assert.True(received.Success, rx.Output);
        long n = long.Parse(received.Groups[1].Value);
        Assert.Equal((long)sb.RxPackets, n);
        Assert.Equal(Count, n + (long)sb.RxDrops);
        Assert.Equal(60L * n, long.Parse(received.Groups[2].Value));
        Assert.Equal(0ul, sa.TxDrops);
        Assert.False(daemon.HasExited);
    }
}
