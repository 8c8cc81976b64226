using System.Diagnostics;
using System.Text;
using Netmap.Tests.Scenarios;

namespace Netmap.Tests.Packaging;

/// <summary>
/// Every package of the repository, made once by <c>dotnet pack Netmap.slnx --no-build</c> (from the build this
/// test assembly belongs to) into a feed in a temporary directory, with a NuGet package folder of its own, so that
/// nothing of a previous run (same version, other bytes) is ever restored. The directory is removed on Dispose.
/// </summary>
public sealed class PackageFeed : IDisposable
{
    public PackageFeed()
    {
        Root = Path.Combine("/tmp", $"netmap-pack-{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..8]}");
        Feed = Path.Combine(Root, "feed");
        Packages = Path.Combine(Root, "packages");
        Directory.CreateDirectory(Feed);
        Directory.CreateDirectory(Packages);
        string configuration = Path.GetFileName(Path.GetDirectoryName(AppContext.BaseDirectory.TrimEnd('/'))!);
        PackOutput = Dotnet(ScenarioPaths.RepositoryRoot, TimeSpan.FromMinutes(5),
            "pack", Path.Combine(ScenarioPaths.RepositoryRoot, "Netmap.slnx"), "-c", configuration, "--no-build", "-o", Feed);
        // A nuget.config that adds the feed to the machine's sources (the registry mirror, for anything else).
        File.WriteAllText(Path.Combine(Root, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <add key="netmap-local" value="{Feed}" />
              </packageSources>
            </configuration>
            """);
    }

    /// <summary>The temporary directory: feed/, packages/, nuget.config, and whatever the tests add.</summary>
    public string Root { get; }

    /// <summary>The local feed the packages were written to.</summary>
    public string Feed { get; }

    /// <summary>NUGET_PACKAGES for every restore and tool install of the tests.</summary>
    public string Packages { get; }

    /// <summary>What dotnet pack printed.</summary>
    public string PackOutput { get; }

    /// <summary>Runs <c>dotnet ARGS</c> in <paramref name="directory"/> with the feed's package folder, no build
    /// servers or node reuse (nothing stays running), and fails with the output on a non-zero exit or timeout.</summary>
    public string Dotnet(string directory, TimeSpan timeout, params string[] args) => Run(directory, timeout, Packages, "dotnet", args);

    /// <summary>Runs a program; see <see cref="Dotnet"/>. <paramref name="environment"/> adds or removes (null) variables.</summary>
    public static string Run(string directory, TimeSpan timeout, string? packages, string program, string[] args,
        IDictionary<string, string?>? environment = null)
    {
        var psi = new ProcessStartInfo(program)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            WorkingDirectory = directory,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        // The test host runs under the SDK: none of its MSBuild variables may leak into the child's build.
        foreach (var key in psi.Environment.Keys.Where(k => k.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase)
                     || k.StartsWith("VSTEST", StringComparison.OrdinalIgnoreCase) || k == "DOTNET_HOST_PATH").ToList())
            psi.Environment.Remove(key);
        foreach (var v in new[] { "NETMAP_SOCKET", "NETMAP_NO_AUTOSTART", "NETMAPD_PATH" }) psi.Environment.Remove(v);
        psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        psi.Environment["DOTNET_NOLOGO"] = "1";
        psi.Environment["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1";
        psi.Environment["DOTNET_CLI_USE_MSBUILD_SERVER"] = "0";
        psi.Environment["MSBUILDDISABLENODEREUSE"] = "1";
        psi.Environment["UseSharedCompilation"] = "false";
        if (packages is not null) psi.Environment["NUGET_PACKAGES"] = packages;
        if (environment is not null)
            foreach (var (k, v) in environment)
                if (v is null) psi.Environment.Remove(k); else psi.Environment[k] = v;
        var output = new StringBuilder();
        using var p = Process.Start(psi) ?? throw new InvalidOperationException($"{program}: could not start");
        p.StandardInput.Close();
        p.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        p.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        string command = $"{program} {string.Join(' ', args)}";
        if (!p.WaitForExit(timeout))
        {
            try { p.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
            p.WaitForExit(5000);
            lock (output) throw new Xunit.Sdk.XunitException($"{command}: still running after {timeout.TotalSeconds} s (killed):\n{output}");
        }
        p.WaitForExit();
        lock (output)
        {
            if (p.ExitCode != 0) throw new Xunit.Sdk.XunitException($"{command}: exit {p.ExitCode}:\n{output}");
            return output.ToString();
        }
    }

    public void Dispose()
    {
        try { Directory.Delete(Root, recursive: true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
