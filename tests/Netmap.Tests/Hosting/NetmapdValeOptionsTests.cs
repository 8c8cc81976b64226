using System.Diagnostics;
using Netmap.Api;
using Netmap.Hosting;
using Netmap.Samples;
using Netmap.Tests.Infrastructure;
using Netmap.Tests.Vale;
using Xunit.Abstractions;

namespace Netmap.Tests.Hosting;

/// <summary>
/// netmapd's VALE options on the real executable: --vale-lookup loads a plugin (samples/StaticMacLookup) and the
/// switch then forwards by it across client processes' ports; a plugin that cannot be loaded stops the start with
/// a message naming the switch and the file; --vale-workers N runs N forwarding threads.
/// </summary>
public sealed class NetmapdValeOptionsTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _dir = CreateDir();

    private static string CreateDir()
    {
        string dir = Path.Combine("/tmp", $"netmapd-vale-{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..8]}");
        Directory.CreateDirectory(dir);
        return dir;
    }

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    /// <summary>StaticMacLookup.dll as the test run has it (beside this assembly: a ProjectReference).</summary>
    private static string PluginPath => typeof(StaticMacLookup).Assembly.Location;

    /// <summary>Names of the daemon's threads called vale-worker-N (from /proc/PID/task/*/comm).</summary>
    private static List<string> WorkerThreads(int pid) => Directory.EnumerateDirectories($"/proc/{pid}/task")
        .Select(d => { try { return File.ReadAllText(Path.Combine(d, "comm")).Trim(); } catch (IOException) { return ""; } })
        .Where(n => n.StartsWith("vale-worker", StringComparison.Ordinal)).OrderBy(n => n).ToList();

    [Theory]
    [InlineData(":Netmap.Samples.StaticMacLookup:")] // the type named
    [InlineData("::")]                               // the only IValeLookup of the assembly
    public void ValeLookup_Plugin_DecidesForwardingBetweenDaemonPorts(string typePart)
    {
        string table = StaticMacLookupTests.WriteTable(_dir, StaticMacLookupTests.Table);
        using var daemon = DaemonFixture.Start("--vale-lookup", $"vale6={PluginPath}{typePart}{table}");
        var host = NetmapHost.Daemon(daemon.SocketPath);
        using var a = NetmapPort.Open("vale6:a", host);
        using var b = NetmapPort.Open("vale6:b", host);
        using var c = NetmapPort.Open("vale6:c", host);
        Assert.Equal(1u, NetmapControl.ValeList("vale6:b", host).PortIndex);
        Assert.Equal(2u, NetmapControl.ValeList("vale6:c", host).PortIndex);

        var toB = ValeSmokeTests.Frame(0x0b, 0x0a, fill: 1);
        var toCTagged = StaticMacLookupTests.Tagged(0x0c, 0x0a, vlan: 7);
        // Dropped by the table (a learning switch would flood each to b and c). They go first: once the frames
        // after them have arrived, the worker has decided about them too (one ring, forwarded in order).
        var dropped = new[] { ValeSmokeTests.Frame(0x0c, 0x0a, fill: 4), StaticMacLookupTests.Tagged(0x0b, 0x0a, vlan: 7), ValeSmokeTests.Frame(0x0d, 0x0a, fill: 5) };
        foreach (var f in dropped.Append(toB).Append(toCTagged)) Assert.True(a.Inject(f));
        a.TxSync();

        Assert.Equal([toB], ValeSmokeTests.Receive(b, 1));
        Assert.Equal([toCTagged], ValeSmokeTests.Receive(c, 1));
        Assert.Empty(StaticMacLookupTests.Pending(b));
        Assert.Empty(StaticMacLookupTests.Pending(c));
        var stats = NetmapControl.ValePortStats("vale6:a", host);
        Assert.Equal((5ul, 3ul), (stats.TxPackets, stats.TxDrops));
        AssertLogged(daemon, "vale6: lookup Netmap.Samples.StaticMacLookup from " + PluginPath);
        Assert.Equal(["vale-worker-0"], WorkerThreads(daemon.ProcessId)); // the default: one forwarding thread
    }

    /// <summary>A plugin lookup that throws for frames to 02:00:00:00:00:ee and floods everything else; netmapd loads
    /// it from this test assembly.</summary>
    public sealed class ThrowingLookup : IValeLookup
    {
        public byte Lookup(ReadOnlySpan<byte> frame, byte sourcePort, ref byte destinationRing)
            => frame[5] == 0xee ? throw new InvalidOperationException("no route for ee") : ValeDestination.Broadcast;
    }

    [Fact]
    public void ValeLookup_APluginThatThrows_DropsThatFrame_AndTheWorkerKeepsForwardingEveryPort()
    {
        string type = typeof(ThrowingLookup).FullName!; // Netmap.Tests.Hosting.NetmapdValeOptionsTests+ThrowingLookup
        using var daemon = DaemonFixture.Start("--vale-lookup", $"vale7={typeof(ThrowingLookup).Assembly.Location}:{type}");
        var host = NetmapHost.Daemon(daemon.SocketPath);
        using var a = NetmapPort.Open("vale7:a", host); // one worker serves a, b and c, in that order
        using var b = NetmapPort.Open("vale7:b", host);
        using var c = NetmapPort.Open("vale7:c", host);

        Assert.True(a.Inject(ValeSmokeTests.Frame(0xee, 0x0a)));
        var afterIt = ValeSmokeTests.Frame(0xff, 0x0a, fill: 1);
        Assert.True(a.Inject(afterIt));
        a.TxSync();
        var fromC = ValeSmokeTests.Frame(0xff, 0x0c, fill: 2);
        Assert.True(c.Inject(fromC));
        c.TxSync();

        var atB = ValeSmokeTests.Receive(b, 2);
        Assert.Equal(2, atB.Count);
        Assert.Contains(afterIt, atB);
        Assert.Contains(fromC, atB);
        Assert.Equal(1ul, NetmapControl.ValePortStats("vale7:a", host).TxDrops);
        AssertLogged(daemon, $"vale7: the lookup {type} threw on a frame from port 0 (dropped; 1 so far): InvalidOperationException: no route for ee");
    }

    [Fact]
    public void ValeLookup_MissingAssembly_ExitsOne_NamingTheSwitchAndTheFile()
    {
        string missing = Path.Combine(_dir, "NoSuchPlugin.dll");
        var (code, stderr) = Run("--vale-lookup", $"vale6={missing}:Some.Type:arg");

        Assert.Equal(1, code);
        Assert.Contains($"--vale-lookup vale6: {missing}: no such file", stderr);
        Assert.False(File.Exists(Path.Combine(_dir, "netmapd.sock")), "it must not have listened");
    }

    [Fact]
    public void ValeLookup_ConstructorFailure_ExitsOne_NamingTheSwitch_TheFile_AndTheCause()
    {
        string table = StaticMacLookupTests.WriteTable(_dir, "02:00:00:00:00:01 999\n");
        var (code, stderr) = Run("--vale-lookup", $"vale6={PluginPath}:Netmap.Samples.StaticMacLookup:{table}");

        Assert.Equal(1, code);
        Assert.Contains($"--vale-lookup vale6: {PluginPath}: new Netmap.Samples.StaticMacLookup(\"{table}\") failed: {table}:1: '999' is not a port index", stderr);
    }

    [Fact]
    public void ValeLookup_NotAPluginAssembly_OrAnUnknownType_ExitsOne()
    {
        string notDotNet = Path.Combine(_dir, "garbage.dll");
        File.WriteAllText(notDotNet, "not an assembly");
        var (c1, e1) = Run("--vale-lookup", $"vale6={notDotNet}");
        var (c2, e2) = Run("--vale-lookup", $"vale7={PluginPath}:Netmap.Samples.NoSuchType:x");
        var (c3, e3) = Run("--vale-lookup", $"vale8={PluginPath}:Netmap.Samples.MacTable:x");

        Assert.Equal((1, 1, 1), (c1, c2, c3));
        Assert.Contains($"--vale-lookup vale6: {notDotNet}: cannot load the assembly", e1);
        Assert.Contains($"--vale-lookup vale7: {PluginPath}: no type Netmap.Samples.NoSuchType", e2);
        Assert.Contains($"--vale-lookup vale8: {PluginPath}: Netmap.Samples.MacTable does not implement Netmap.IValeLookup", e3);
    }

    [Theory]
    [InlineData("vale6", "--vale-lookup 'vale6': expected SWITCH=ASSEMBLY.dll")]
    [InlineData("eth0=x.dll", "'eth0' is not a VALE switch name")]
    [InlineData("vale6=plugin.so", "does not name an assembly (.dll)")]
    public void ValeLookup_MalformedValue_ExitsTwoWithUsage(string value, string expected)
    {
        var (code, stderr) = Run("--vale-lookup", value);

        Assert.Equal(2, code);
        Assert.Contains(expected, stderr);
        Assert.Contains("usage: netmapd", stderr);
    }

    [Fact]
    public void ValeLookup_SameSwitchTwice_ExitsTwo()
    {
        var (code, stderr) = Run("--vale-lookup", $"vale6={PluginPath}::a", $"--vale-lookup=vale6={PluginPath}::b");

        Assert.Equal(2, code);
        Assert.Contains("--vale-lookup vale6: given twice", stderr);
    }

    [Fact]
    public void ValeWorkers2_RunsTwoForwardingThreads_AndTrafficFlowsBothWays()
    {
        using var daemon = DaemonFixture.Start("--vale-workers", "2", "--vale-spin-us", "0");
        var host = NetmapHost.Daemon(daemon.SocketPath);
        using var a = NetmapPort.Open("vale0:a", host); // ports go to the workers round robin: a -> 0, b -> 1
        using var b = NetmapPort.Open("vale0:b", host);

        Assert.Equal(["vale-worker-0", "vale-worker-1"], WorkerThreads(daemon.ProcessId));
        for (int round = 0; round < 3; round++)
        {
            var ab = ValeSmokeTests.Frame(0x0b, 0x0a, fill: (byte)round);
            var ba = ValeSmokeTests.Frame(0x0a, 0x0b, fill: (byte)(round + 100));
            Assert.True(a.Inject(ab));
            a.TxSync();
            Assert.True(b.Inject(ba));
            b.TxSync();
            Assert.Equal([ab], ValeSmokeTests.Receive(b, 1));
            Assert.Equal([ba], ValeSmokeTests.Receive(a, 1));
        }
        AssertLogged(daemon, "VALE: 2 forwarding thread(s), spin 0 us");
    }

    [Theory]
    [InlineData("--vale-workers", "0", "--vale-workers: '0' is not a thread count (1..64)")]
    [InlineData("--vale-workers", "65", "--vale-workers: '65' is not a thread count")]
    [InlineData("--vale-spin-us", "-5", "--vale-spin-us: '-5' is not a number of microseconds")]
    [InlineData("--vale-spin-us", "x", "--vale-spin-us: 'x' is not a number of microseconds")]
    public void ValeWorkerOptions_BadValues_ExitTwo(string option, string value, string expected)
    {
        var (code, stderr) = Run(option, value);

        Assert.Equal(2, code);
        Assert.Contains(expected, stderr);
    }

    [Fact]
    public void Help_ListsTheValeOptions()
    {
        var (code, _) = Run("--help", out string stdout);

        Assert.Equal(0, code);
        foreach (var o in new[] { "--vale-workers N", "--vale-spin-us U", "--vale-lookup SWITCH=ASSEMBLY.dll[:TYPE[:ARG]]" })
            Assert.Contains(o, stdout);
    }

    /// <summary>The daemon's log reaches us asynchronously (console logger queue, then our pipe reader): wait for it.</summary>
    private static void AssertLogged(DaemonFixture daemon, string text)
    {
        var clock = Stopwatch.StartNew();
        while (!daemon.Stderr.Contains(text, StringComparison.Ordinal) && clock.ElapsedMilliseconds < 5000) Thread.Sleep(10);
        Assert.Contains(text, daemon.Stderr);
    }

    private (int Code, string Stderr) Run(params string[] args) => Run(args, out _);

    /// <summary>Runs netmapd (on a socket in this test's folder) to completion, 20 s at most.</summary>
    private (int Code, string Stderr) Run(string[] args, out string stdout)
    {
        var psi = new ProcessStartInfo(DaemonFixture.FindExecutable())
        {
            UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true,
        };
        psi.ArgumentList.Add("--socket");
        psi.ArgumentList.Add(Path.Combine(_dir, "netmapd.sock"));
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment.Remove("NETMAP_SOCKET");
        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEndAsync();
        var outp = p.StandardOutput.ReadToEndAsync();
        if (!p.WaitForExit(20_000))
        {
            p.Kill(entireProcessTree: true);
            Assert.Fail($"netmapd {string.Join(' ', args)} did not exit (it should have refused to start)");
        }
        p.WaitForExit();
        stdout = outp.Result;
        output.WriteLine($"netmapd {string.Join(' ', args)} -> {p.ExitCode}\n{err.Result}");
        return (p.ExitCode, err.Result);
    }

    private (int Code, string Stderr) Run(string arg, out string stdout) => Run([arg], out stdout);
}
