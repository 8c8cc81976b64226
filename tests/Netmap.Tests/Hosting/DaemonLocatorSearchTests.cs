using Netmap.Hosting.Daemon;

namespace Netmap.Tests.Hosting;

/// <summary>Where DaemonLocator looks for netmapd, in order: NETMAPD_PATH, netmapd next to the program,
/// netmapd/netmapd.dll next to the program (the Netmap package's copy, run by dotnet), PATH, ~/.dotnet/tools.</summary>
public sealed class DaemonLocatorSearchTests : IDisposable
{
    private readonly string _root = Path.Combine("/tmp", $"netmap-locator-{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..8]}");
    private readonly string _app, _pathDir, _home;
    private const string Dotnet = "/opt/x/dotnet";

    public DaemonLocatorSearchTests()
    {
        _app = Dir("app");
        _pathDir = Dir("path-bin");
        _home = Dir("home");
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private string Dir(string name)
    {
        string d = Path.Combine(_root, name);
        Directory.CreateDirectory(d);
        return d;
    }

    private static string Touch(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, "");
        return path;
    }

    private DaemonCommand? Find(string? env = null, string? dotnet = Dotnet)
        => DaemonLocator.FindDaemon(env, [_app, ""], "/nonexistent:" + _pathDir, _home, () => dotnet);

    [Fact]
    public void NothingAnywhere_IsNull()
    {
        Assert.Null(Find());
    }

    [Fact]
    public void EachPlace_InOrder()
    {
        string tool = Touch(Path.Combine(_home, ".dotnet", "tools", "netmapd"));
        Assert.Equal(new DaemonCommand(tool, null), Find());
        string onPath = Touch(Path.Combine(_pathDir, "netmapd"));
        Assert.Equal(new DaemonCommand(onPath, null), Find());
        string dll = Touch(Path.Combine(_app, "netmapd", "netmapd.dll"));
        Assert.Equal(new DaemonCommand(Dotnet, dll), Find());
        Assert.Equal(new DaemonCommand("/explicit/netmapd", null), Find(env: "/explicit/netmapd"));
    }

    [Fact]
    public void PackageCopy_WithoutADotnetHost_IsSkipped()
    {
        Touch(Path.Combine(_app, "netmapd", "netmapd.dll"));
        Assert.Null(Find(dotnet: null));
        string onPath = Touch(Path.Combine(_pathDir, "netmapd"));
        Assert.Equal(new DaemonCommand(onPath, null), Find(dotnet: null));
    }

    [Fact]
    public void AnExecutableNextToTheProgram_ComesFirst()
    {
        Touch(Path.Combine(_pathDir, "netmapd"));
        string beside = Touch(Path.Combine(_app, "netmapd"));
        Assert.Equal(new DaemonCommand(beside, null), Find());
    }
}
