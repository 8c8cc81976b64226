using System.Runtime.InteropServices;
using Netmap.Hosting;

namespace Netmap.Tools.Bridge;

/// <summary>bridge: netmap's two-port forwarder on Netmap.NET ports (engine in netmapd, started on demand).</summary>
public static class Program
{
    public static int Main(string[] args)
    {
        Netmap.Hosting.Daemon.DaemonLocator.Notice += line => Console.Error.WriteLine($"bridge: {line}");
        if (!BridgeOptions.TryParse(args, out var options, out string? error))
        {
            Console.Error.WriteLine($"bridge: {error}");
            Console.Error.Write(BridgeOptions.Usage);
            return 1;
        }
        if (options.Help)
        {
            Console.Out.Write(BridgeOptions.Usage);
            return 0;
        }

        using var stop = new StopSignal();
        var log = new DebugLog(Console.Error);
        Console.CancelKeyPress += (_, e) =>
        {
            if (stop.IsSet) return; // a second ^C kills the process
            e.Cancel = true;
            log.D("sigint_h", DebugLog.SigintLine, "received control-C");
            stop.Set();
        };
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, ctx =>
        {
            ctx.Cancel = true;
            stop.Set();
        });

        return BridgeRunner.Run(options, NetmapHost.Default, Console.Out, Console.Error, stop);
    }
}
