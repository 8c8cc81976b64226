using Netmap.Api;
using Netmap.Engine;
using Netmap.Hosting;

namespace Netmap.Tests.Pipes;

/// <summary>An embedded engine with both ends of one pipe open. Test helper, not a test class.</summary>
internal sealed class PipePair : IDisposable
{
    public PipePair(string name = "p", string id = "1", string suffix = "", NetmapPortOptions? masterOptions = null, NetmapPortOptions? slaveOptions = null, NetmapEngine? engine = null)
    {
        OwnsEngine = engine is null;
        Engine = engine ?? new NetmapEngine();
        Host = NetmapHost.Embedded(Engine);
        MasterSpec = $"netmap:{name}{{{id}{suffix}";
        SlaveSpec = $"netmap:{name}}}{id}";
        Master = NetmapPort.Open(MasterSpec, Host, masterOptions);
        Slave = NetmapPort.Open(SlaveSpec, Host, slaveOptions);
    }

    public NetmapEngine Engine { get; }
    public NetmapHost Host { get; }
    public string MasterSpec { get; }
    public string SlaveSpec { get; }
    public NetmapPort Master { get; set; }
    public NetmapPort Slave { get; set; }
    private bool OwnsEngine { get; }

    public void Dispose()
    {
        Slave.Dispose();
        Master.Dispose();
        if (OwnsEngine) Engine.Dispose();
    }
}
