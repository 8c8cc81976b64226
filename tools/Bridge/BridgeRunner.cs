using System.Diagnostics;
using System.Globalization;

namespace Netmap.Tools.Bridge;

/// <summary>
/// bridge's main(): opens both ports, says whether zero-copy applies, waits -w seconds for the link, then forwards
/// with a <see cref="PortBridge"/> until stopped and prints the packets moved each way.
/// </summary>
public static class BridgeRunner
{
    /// <summary>How long the loop keeps re-syncing after the last frame before it sleeps in poll.</summary>
    public static readonly TimeSpan Spin = TimeSpan.FromMicroseconds(50);

    /// <summary>Runs bridge with <paramref name="options"/> against <paramref name="host"/>; returns the exit code
    /// (0 after a stop, 1 when a port cannot be opened).</summary>
    public static int Run(BridgeOptions options, NetmapHost host, TextWriter stdout, TextWriter stderr, StopSignal stop)
    {
        var log = new DebugLog(stderr);
        if (options.HostStack) log.D("main", BridgeLines.SameInterface, "same interface, endpoint 1 goes to host");

        NetmapPort? pa = Open(options.PortA, host, stderr, log);
        if (pa is null) return 1;
        using (pa)
        {
            NetmapPort? pb = Open(options.PortB, host, stderr, log);
            if (pb is null) return 1;
            using (pb)
            {
                var bridge = new PortBridge(pa, pb, options.Burst, options.ZeroCopy);
                log.D("main", BridgeLines.ZeroCopy, $"------- zerocopy {(bridge.ZeroCopy ? "" : "NOT ")}supported");
                log.D("main", BridgeLines.Wait, $"Wait {options.WaitLinkSeconds} secs for link to come up...");
                stop.Sleep(options.WaitLinkSeconds * 1000);
                log.D("main", BridgeLines.Ready, string.Create(CultureInfo.InvariantCulture,
                    $"Ready to go, {options.PortA} 0x{pa.FirstRxRing:x}/{pa.RxRings.Count} <-> {options.PortB} 0x{pb.FirstRxRing:x}/{pb.RxRings.Count}."));

                if (!stop.IsSet)
                {
                    if (options.Verbose > 0)
                    {
                        long next = Stopwatch.GetTimestamp() + Stopwatch.Frequency;
                        bridge.Run(() =>
                        {
                            long now = Stopwatch.GetTimestamp();
                            if (now >= next)
                            {
                                next = now + Stopwatch.Frequency;
                                log.D("main", BridgeLines.Verbose, Counters(bridge));
                            }
                            return !stop.IsSet;
                        }, Spin);
                    }
                    else
                    {
                        bridge.Run(() => !stop.IsSet, Spin);
                    }
                }

                stdout.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{bridge.AToB} packets {options.PortA} -> {options.PortB}"));
                stdout.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{bridge.BToA} packets {options.PortB} -> {options.PortA}"));
                stdout.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{bridge.Dropped} slots dropped or truncated"));
                stdout.Flush();
                return 0;
            }
        }
    }

    private static string Counters(PortBridge bridge)
        => string.Create(CultureInfo.InvariantCulture, $"A->B {bridge.AToB} B->A {bridge.BToA} dropped {bridge.Dropped}");

    /// <summary>Opens <paramref name="spec"/>; on failure prints netmap's "cannot open" line and the cause
    /// (port, operation, errno) and returns null.</summary>
    private static NetmapPort? Open(string spec, NetmapHost host, TextWriter stderr, DebugLog log)
    {
        string cause;
        try
        {
            return NetmapPort.Open(spec, host);
        }
        catch (NetmapException e)
        {
            cause = e.Message; // names the port, the operation and the errno
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Net.Sockets.SocketException or InvalidOperationException)
        {
            cause = $"{spec}: {e.Message}";
        }
        log.D("main", BridgeLines.CannotOpen, $"cannot open {spec}");
        stderr.WriteLine(cause);
        stderr.Flush();
        return null;
    }
}
