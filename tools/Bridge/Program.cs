using System.Runtime.InteropServices;

namespace Netmap.Tools.Bridge;

/// <summary>bridge: netmap's two-port forwarder on Netmap.NET ports (engine in netmapd, started on demand).</summary>
public static class Program
{
    /// <summary>Forwards until SIGINT/SIGTERM, then prints the counters; exit status 0, or 1 on a bad command line
    /// or a port that cannot be opened (bridge.c's usage() and open failures exit 1).</summary>
    public static int Main(string[] args)
    {
        // First, before anything touches Console: the signal dispositions (see StopSignal.ForProcess).
        DebugLog? log = null;
        var stop = StopSignal.ForProcess(signal =>
        {
            if (signal == PosixSignal.SIGINT) log?.D("sigint_h", BridgeLines.Sigint, "received control-C");
        });
        log = new DebugLog(Console.Error);

        DaemonLocator.Notice += line => Console.Error.WriteLine($"bridge: {line}");
        if (!BridgeOptions.TryParse(args, out var options, out string? error))
        {
            Console.Error.WriteLine($"bridge: {error}");
            Console.Error.Write(BridgeOptions.Usage);
            return ExitStatus.Failure;
        }
        if (options.Help)
        {
            Console.Out.Write(BridgeOptions.Usage);
            return ExitStatus.Success;
        }
        return BridgeRunner.Run(options, NetmapHost.Default, Console.Out, Console.Error, stop);
    }
}
