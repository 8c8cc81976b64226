using System.Diagnostics;
using System.Text;
using Netmap.Api;
using Netmap.Hosting;
using Netmap.Hosting.Daemon;
using Netmap.Interop;
using Netmap.Tests.Api;
using Netmap.Tests.Infrastructure;

namespace Netmap.Tests.Tools;

/// <summary>
/// The real bin/bridge executable against a private netmapd: it forwards between two pipes whose other ends the
/// test holds, and SIGINT / SIGTERM end it with the summary and exit code 0.
/// </summary>
public sealed class BridgeProcessTests : IDisposable
{
    private readonly DaemonFixture _daemon = DaemonFixture.Start();
    private readonly NetmapHost _host;

    public BridgeProcessTests() => _host = NetmapHost.Daemon(_daemon.SocketPath);

    public void Dispose() => _daemon.Dispose();

    private sealed class BridgeProcess : IDisposable
    {
        private readonly Process _p;
        private readonly StringBuilder _out = new();
        private readonly StringBuilder _err = new();

        public BridgeProcess(string socket, params string[] args)
        {
            var psi = new ProcessStartInfo(Scenarios.ScenarioPaths.Bridge)
            {
                UseShellExecute = false,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            foreach (var a in args) psi.ArgumentList.Add(a);
            psi.Environment[DaemonLocator.SocketVariable] = socket;
            psi.Environment[DaemonLocator.NoAutostartVariable] = "1";
            _p = Process.Start(psi)!;
            _p.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (_out) _out.AppendLine(e.Data); };
            _p.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_err) _err.AppendLine(e.Data); };
            _p.BeginOutputReadLine();
            _p.BeginErrorReadLine();
        }

        public string Out { get { lock (_out) return _out.ToString(); } }
        public string Err { get { lock (_err) return _err.ToString(); } }
        public int ExitCode => _p.ExitCode;

        public void Signal(int signal) => Libc.kill(_p.Id, signal);

        public bool WaitForExit(int ms)
        {
            if (!_p.WaitForExit(ms)) return false;
            _p.WaitForExit(); // flushes the asynchronous readers
            return true;
        }

        public bool WaitForErr(string text, int ms = 10_000)
        {
            var sw = Stopwatch.StartNew();
            while (!Err.Contains(text, StringComparison.Ordinal))
            {
                if (sw.ElapsedMilliseconds > ms || _p.HasExited) return Err.Contains(text, StringComparison.Ordinal);
                Thread.Sleep(20);
            }
            return true;
        }

        public override string ToString() => $"stdout:\n{Out}\nstderr:\n{Err}";

        public void Dispose()
        {
            try { if (!_p.HasExited) { _p.Kill(); _p.WaitForExit(5000); } }
            catch (InvalidOperationException) { }
            _p.Dispose();
        }
    }

    private static List<byte[]> ReceiveAll(NetmapPort port, int expected, int timeoutMs = 10_000)
    {
        var got = new List<byte[]>();
        var sw = Stopwatch.StartNew();
        while (got.Count < expected && sw.ElapsedMilliseconds < timeoutMs)
        {
            got.AddRange(PortBridgeRig.Drain(port));
            if (got.Count < expected) port.Poll(PollEvents.In, 50);
        }
        return got;
    }

    [Theory]
    [InlineData(2, "received control-C")]   // SIGINT
    [InlineData(15, null)]                  // SIGTERM
    public void ForwardsBetweenPipes_AndASignalEndsItWithTheSummary(int signal, string? signalLine)
    {
        using var endA = NetmapPort.Open("netmap:pb}1", _host);
        using var endB = NetmapPort.Open("netmap:pb}2", _host);
        using var bridge = new BridgeProcess(_daemon.SocketPath, "-w", "0", "pb{1", "pb{2");
        Assert.True(bridge.WaitForErr("Ready to go"), bridge.ToString());
        Assert.Contains("------- zerocopy supported", bridge.Err);

        var toB = Enumerable.Range(0, 300).Select(i => PortBridgeRig.Frame(60 + i, i)).ToList();
        var toA = Enumerable.Range(0, 100).Select(i => PortBridgeRig.Frame(3000, 500 + i)).ToList();
        PortBridgeRig.Send(endA, toB);
        PortBridgeRig.Send(endB, toA);
        var atB = ReceiveAll(endB, toB.Count);
        var atA = ReceiveAll(endA, toA.Count);
        Assert.Equal(toB.Count, atB.Count);
        Assert.Equal(toA.Count, atA.Count);
        for (int i = 0; i < toB.Count; i++) Assert.Equal(toB[i], atB[i]);
        for (int i = 0; i < toA.Count; i++) Assert.Equal(toA[i], atA[i]);

        bridge.Signal(signal);
        Assert.True(bridge.WaitForExit(5000), "bridge did not exit within 5 s of the signal\n" + bridge);
        Assert.True(bridge.ExitCode == 0, $"exit {bridge.ExitCode}\n{bridge}");
        Assert.Equal("300 packets netmap:pb{1 -> netmap:pb{2\n100 packets netmap:pb{2 -> netmap:pb{1\n0 slots dropped or truncated\n", bridge.Out);
        if (signalLine is not null) Assert.Contains(signalLine, bridge.Err);
    }

    [Fact]
    public void PortThatCannotBeOpened_Exits1_NamingIt()
    {
        using var bridge = new BridgeProcess(_daemon.SocketPath, "-w", "0", "pc{1", "vale0:bad port");
        Assert.True(bridge.WaitForExit(10_000), bridge.ToString());
        Assert.Equal(1, bridge.ExitCode);
        Assert.Contains("cannot open vale0:bad port", bridge.Err);
        Assert.Equal("", bridge.Out);
    }

    [Fact]
    public void BadOption_Exits1_WithTheUsage()
    {
        using var bridge = new BridgeProcess(_daemon.SocketPath, "-b", "0", "a{1");
        Assert.True(bridge.WaitForExit(10_000), bridge.ToString());
        Assert.Equal(1, bridge.ExitCode);
        Assert.StartsWith("bridge: invalid burst 0 [1..8192]\nUsage:\n", bridge.Err);
    }

    [Fact]
    public void Help_Exits0_WithTheUsage()
    {
        using var bridge = new BridgeProcess(_daemon.SocketPath, "-h");
        Assert.True(bridge.WaitForExit(10_000), bridge.ToString());
        Assert.Equal(0, bridge.ExitCode);
        Assert.StartsWith("Usage:\nbridge ", bridge.Out);
    }
}
