using System.IO.Compression;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using Netmap.Tests.Infrastructure;
using Netmap.Tests.Scenarios;
using Xunit.Abstractions;

namespace Netmap.Tests.Packaging;

// Test objective: what `dotnet pack` makes is what a user installs. The Netmap package has real metadata, its
// symbols, and netmapd inside; a fresh console program that references it from the feed (everything else from the
// machine's NuGet sources) builds README's C# sample as it is printed there, and running it sends a frame through a
// pipe of a netmapd it started itself from the package's copy, without NETMAPD_PATH. The tools install as .NET
// tools from the feed, and pkt-gen run from the tool path starts the netmapd tool installed beside it.
[Collection(ScenarioCollection.Name)]
public sealed partial class PackageTests(PackageFeed feed, ITestOutputHelper log) : IClassFixture<PackageFeed>
{
    private static readonly string[] Packages = ["Netmap", "Netmap.PktGen", "Netmap.ValeCtl", "Netmap.Bridge", "Netmap.Daemon"];

    [GeneratedRegex(@"```csharp\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex CSharpBlock();

    private static string Version => typeof(PackageTests).Assembly.GetName().Version is { } v ? $"{v.Major}.{v.Minor}.{v.Build}" : "0.1.0";

    [Fact]
    public void Packages_HaveMetadata_Symbols_AndTheDaemon()
    {
        foreach (var id in Packages)
        {
            string nupkg = Path.Combine(feed.Feed, $"{id}.{Version}.nupkg");
            Assert.True(File.Exists(nupkg), $"{nupkg} missing; pack said:\n{feed.PackOutput}");
            Assert.True(File.Exists(Path.ChangeExtension(nupkg, ".snupkg")), $"no symbol package for {id}");
            using var zip = ZipFile.OpenRead(nupkg);
            var nuspec = XDocument.Load(zip.GetEntry($"{id}.nuspec")!.Open());
            XNamespace ns = nuspec.Root!.Name.Namespace;
            var meta = nuspec.Root.Element(ns + "metadata")!;
            string description = meta.Element(ns + "description")!.Value;
            Assert.False(description is "Package Description" or "", $"{id}: description '{description}'");
            Assert.Equal("LICENSE", meta.Element(ns + "license")?.Value);
            Assert.Equal("README.md", meta.Element(ns + "readme")?.Value);
            Assert.Equal("Netmap.NET contributors", meta.Element(ns + "authors")?.Value);
            Assert.NotNull(zip.GetEntry("LICENSE"));
            Assert.NotNull(zip.GetEntry("README.md"));
            var files = zip.Entries.Select(e => e.FullName).ToList();
            if (id == "Netmap")
            {
                Assert.Contains("lib/net10.0/Netmap.dll", files);
                Assert.Contains("lib/net10.0/Netmap.xml", files);
                Assert.Contains("buildTransitive/Netmap.targets", files);
                Assert.Contains("netmapd/netmapd.dll", files);
                Assert.Contains("netmapd/netmapd.runtimeconfig.json", files);
                Assert.Contains("netmapd/Netmap.dll", files);
            }
            else
            {
                var settings = XDocument.Load(zip.GetEntry("tools/net10.0/any/DotnetToolSettings.xml")!.Open());
                string command = settings.Descendants("Command").Single().Attribute("Name")!.Value;
                Assert.Equal(id switch { "Netmap.PktGen" => "pkt-gen", "Netmap.ValeCtl" => "vale-ctl", "Netmap.Bridge" => "bridge", _ => "netmapd" }, command);
            }
        }
    }

    [Fact]
    public void AConsoleProgram_ReferencingThePackage_RunsTheReadmeSample_WithTheDaemonFromThePackage()
    {
        string app = Path.Combine(feed.Root, "app");
        Directory.CreateDirectory(app);
        string readme = File.ReadAllText(Path.Combine(ScenarioPaths.RepositoryRoot, "README.md"));
        var block = CSharpBlock().Match(readme);
        Assert.True(block.Success, "README.md has no ```csharp block");
        File.WriteAllText(Path.Combine(app, "Program.cs"), block.Groups[1].Value);
        File.WriteAllText(Path.Combine(app, "App.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <Nullable>enable</Nullable>
                <ImplicitUsings>enable</ImplicitUsings>
                <TreatWarningsAsErrors>true</TreatWarningsAsErrors>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="Netmap" Version="{Version}" />
              </ItemGroup>
            </Project>
            """);
        File.Copy(Path.Combine(feed.Root, "nuget.config"), Path.Combine(app, "nuget.config"));
        log.WriteLine(feed.Dotnet(app, TimeSpan.FromMinutes(4), "build", "-c", "Release", "--disable-build-servers", "-nodeReuse:false"));

        string bin = Path.Combine(app, "bin", "Release", "net10.0");
        Assert.True(File.Exists(Path.Combine(bin, "netmapd", "netmapd.dll")), "the package did not put netmapd next to the program");
        string socket = Path.Combine(feed.Root, "app-netmapd", "netmapd.sock");
        try
        {
            string output = PackageFeed.Run(bin, TimeSpan.FromSeconds(60), null, Path.Combine(bin, "App"), [],
                new Dictionary<string, string?> { ["NETMAP_SOCKET"] = socket });
            log.WriteLine(output);
            Assert.Equal("received 60 bytes: hello netmap\n", output);
            // The daemon that served it is the package's copy, run by dotnet.
            var daemons = ProcStat.DaemonsOn(socket);
            Assert.Single(daemons);
            var argv = ProcStat.CommandLine(daemons[0]) ?? [];
            Assert.Contains(Path.Combine(bin, "netmapd", "netmapd.dll"), argv);
        }
        finally
        {
            foreach (var pid in ProcStat.DaemonsOn(socket)) ProcStat.Terminate(pid);
        }
        Assert.Empty(ProcStat.DaemonsOn(socket));
    }

    [Fact]
    public void TheTools_InstallAsDotnetTools_AndPktGenStartsTheNetmapdToolBesideIt()
    {
        string tools = Path.Combine(feed.Root, "tools");
        foreach (var id in new[] { "Netmap.Daemon", "Netmap.PktGen" })
            log.WriteLine(feed.Dotnet(feed.Root, TimeSpan.FromMinutes(2),
                "tool", "install", id, "--tool-path", tools, "--add-source", feed.Feed, "--version", Version));
        string socket = Path.Combine(feed.Root, "tools-netmapd", "netmapd.sock");
        var env = new Dictionary<string, string?>
        {
            ["PKTGEN"] = Path.Combine(tools, "pkt-gen"),
            ["NETMAP_SOCKET"] = socket,
        };
        try
        {
            // The receiver first, and the sender once it is ready: one autostart (two processes autostarting at the
            // same moment race for the socket, and the loser fails).
            using var run = BashScript.Run("""
                "$PKTGEN" -i netmap:tool}1 -f rx -w 0 -n 1000 >rx.out 2>rx.err & rx=$!
                for _ in $(seq 300); do grep -q Ready rx.err 2>/dev/null && break; sleep 0.05; done
                "$PKTGEN" -i netmap:tool{1 -f tx -w 0 -n 1000 >tx.out 2>tx.err; echo "tx_rc=$?"
                wait $rx; echo "rx_rc=$?"
                """, env, TimeSpan.FromSeconds(90));
            log.WriteLine(run.ToString());
            Assert.True(run.Value("tx_rc") == "0" && run.Value("rx_rc") == "0", run.ToString());
            Assert.Contains("Sent 1000 packets 60000 bytes", run.File("tx.out"));
            Assert.Contains("Received 1000 packets 60000 bytes", run.File("rx.out"));
            var daemons = ProcStat.DaemonsOn(socket);
            Assert.Single(daemons);
            Assert.Contains(ProcStat.CommandLine(daemons[0]) ?? [], a => a.Contains(Path.Combine(tools, ".store", "netmap.daemon"), StringComparison.Ordinal)
                || a == Path.Combine(tools, "netmapd"));
        }
        finally
        {
            foreach (var pid in ProcStat.DaemonsOn(socket)) ProcStat.Terminate(pid);
        }
        Assert.Empty(ProcStat.DaemonsOn(socket));
    }
}
