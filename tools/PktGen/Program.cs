using System.Runtime.InteropServices;
using Netmap.Hosting;

namespace Netmap.Tools.PktGen;

/// <summary>pkt-gen: netmap's packet generator / sink on Netmap.NET ports (engine in netmapd, started on demand).</summary>
public static class Program
{
    public static int Main(string[] args)
    {
        Netmap.Hosting.Daemon.DaemonLocator.Notice += line => Console.Error.WriteLine($"pkt-gen: {line}");
        if (!PktGenOptions.TryParse(args, out var options, out string? error))
        {
            Console.Error.WriteLine($"pkt-gen: {error}");
            Console.Error.Write(PktGenOptions.Usage);
            return 1;
        }
        if (options.Help)
        {
            Console.Out.Write(PktGenOptions.Usage);
            return 0;
        }

        using var stop = new StopSignal();
        var log = new DebugLog(Console.Error);
        Console.CancelKeyPress += (_, e) =>
        {
            if (stop.IsSet) return; // a second ^C kills the process
            e.Cancel = true;
            log.D("sigint_h", DebugLog.SigintLine, $"received control-C on thread {Environment.CurrentManagedThreadId}");
            stop.Set();
        };
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, ctx =>
        {
            ctx.Cancel = true;
            stop.Set();
        });

        return PktGenRunner.Run(options, NetmapHost.Default, Console.Out, Console.Error, stop);
    }
}
