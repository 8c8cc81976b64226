using System.Diagnostics;
using System.Reflection;
using Netmap.Engine;

namespace Netmap.Bench.Vale;

/// <summary>
/// Netmap's DaemonServer (what netmapd runs) on an engine of this process. The type is internal to Netmap.dll and
/// this benchmark is not among its InternalsVisibleTo friends, so it is made through reflection, once per run
/// (nothing on the data path). Adding <c>&lt;InternalsVisibleTo Include="ValeBench" /&gt;</c> to Netmap.csproj
/// would let this be a plain <c>new DaemonServer(engine, socket)</c>.
/// </summary>
internal static class InProcessDaemon
{
    private const string TypeName = "Netmap.Hosting.Daemon.DaemonServer";

    /// <summary>new DaemonServer(engine, socketPath): listening when it returns; dispose to stop.</summary>
    public static IDisposable Start(NetmapEngine engine, string socketPath)
    {
        var type = typeof(NetmapEngine).Assembly.GetType(TypeName, throwOnError: true)!;
        var ctor = type.GetConstructor(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic,
            [typeof(NetmapEngine), typeof(string), typeof(string), typeof(Action<TraceLevel, string>), typeof(bool)])
            ?? throw new MissingMethodException(TypeName, ".ctor(NetmapEngine, string, string?, Action<TraceLevel, string>?, bool)");
        try
        {
            return (IDisposable)ctor.Invoke([engine, socketPath, null, null, false]);
        }
        catch (TargetInvocationException e) when (e.InnerException is not null)
        {
            throw e.InnerException;
        }
    }
}
