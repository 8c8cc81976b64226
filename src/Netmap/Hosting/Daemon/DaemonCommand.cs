namespace Netmap.Hosting.Daemon;

/// <summary>How to start netmapd: <paramref name="FileName"/> alone (an executable: an apphost, a .NET tool shim), or
/// the dotnet host <paramref name="FileName"/> running <paramref name="Assembly"/> (netmapd.dll from the Netmap
/// package).</summary>
internal sealed record DaemonCommand(string FileName, string? Assembly);
