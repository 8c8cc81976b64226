using System.Reflection;
using System.Runtime.Loader;

namespace Netmapd;

/// <summary>
/// The load context of one --vale-lookup assembly: its own dependencies come from its folder (through its
/// .deps.json when it has one), but every assembly the daemon has loaded already (Netmap above all) is shared, so
/// that the plugin's IValeLookup is the daemon's type.
/// </summary>
internal sealed class PluginLoadContext(string assemblyPath) : AssemblyLoadContext($"vale-lookup {assemblyPath}")
{
    private readonly AssemblyDependencyResolver _resolver = new(assemblyPath);

    protected override Assembly? Load(AssemblyName name)
    {
        foreach (var a in Default.Assemblies)
            if (a.GetName().Name == name.Name)
                return null; // the daemon's copy
        string? path = _resolver.ResolveAssemblyToPath(name);
        return path is null ? null : LoadFromAssemblyPath(path);
    }

    protected override IntPtr LoadUnmanagedDll(string unmanagedDllName)
    {
        string? path = _resolver.ResolveUnmanagedDllToPath(unmanagedDllName);
        return path is null ? IntPtr.Zero : LoadUnmanagedDllFromPath(path);
    }
}
