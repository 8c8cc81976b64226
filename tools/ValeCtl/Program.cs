using Netmap.Hosting;

namespace Netmap.Tools.ValeCtl;

/// <summary>vale-ctl: netmap's VALE switch control tool, on Netmap.NET (engine in netmapd, started on demand).</summary>
public static class Program
{
    public static int Main(string[] args)
    {
        Netmap.Hosting.Daemon.DaemonLocator.Notice += line => Console.Error.WriteLine($"vale-ctl: {line}");
        return ValeCtlRunner.Run(args, NetmapHost.Default, Console.Out, Console.Error);
    }
}
