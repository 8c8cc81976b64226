using System.Runtime.InteropServices;

namespace Netmap.Tools.PktGen;

/// <summary>pkt-gen: netmap's packet generator / sink on Netmap.NET ports (engine in netmapd, started on demand).</summary>
public static class Program
{
    /// <summary>Parses the command line, runs the function until done or stopped, prints the summary; exit status 0
    /// (also after SIGINT/SIGTERM), 1 when the port cannot be opened or the loop failed, 255 on a bad command line.</summary>
    public static int Main(string[] args)
    {
        // First, before anything touches Console: the signal dispositions (see StopSignal.ForProcess).
        DebugLog? log = null;
        var stop = StopSignal.ForProcess(signal =>
        {
            if (signal == PosixSignal.SIGINT)
                log?.D("sigint_h", PktGenLines.Sigint, $"received control-C on thread {Environment.CurrentManagedThreadId}");
        });
        log = new DebugLog(Console.Error);

        DaemonLocator.Notice += line => Console.Error.WriteLine($"pkt-gen: {line}");
        if (!PktGenOptions.TryParse(args, out var options, out string? error))
        {
            Console.Error.WriteLine($"pkt-gen: {error}");
            Console.Error.Write(PktGenOptions.Usage);
            return ExitStatus.Usage;
        }
        if (options.Help)
        {
            Console.Out.Write(PktGenOptions.Usage);
            return ExitStatus.Success;
        }
        return PktGenRunner.Run(options, NetmapHost.Default, Console.Out, Console.Error, stop);
    }
}
