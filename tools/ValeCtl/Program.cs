
namespace Netmap.Tools.ValeCtl;

/// <summary>vale-ctl: netmap's VALE switch control tool, on Netmap.NET (engine in netmapd, started on demand).</summary>
public static class Program
{
    /// <summary>Runs one vale-ctl command; exit status 0, 1 (refused) or 255 (bad command line).</summary>
    public static int Main(string[] args)
    {
        DaemonLocator.Notice += line => Console.Error.WriteLine($"vale-ctl: {line}");
        return ValeCtlRunner.Run(args, NetmapHost.Default, Console.Out, Console.Error);
    }
}
