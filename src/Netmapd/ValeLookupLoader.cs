using System.Reflection;
using Netmap;
using Netmap.Adapters.Vale;

namespace Netmapd;

/// <summary>
/// Loads a --vale-lookup plugin: the assembly into a <see cref="PluginLoadContext"/>, the named type (or the only
/// public one implementing <see cref="IValeLookup"/>), an instance made with its string constructor (when ARG was
/// given) or its parameterless one. Every failure is one line naming the switch and the assembly.
/// </summary>
internal static class ValeLookupLoader
{
    public static bool TryLoad(ValeLookupSpec spec, out LoadedValeLookup? loaded, out string error)
    {
        loaded = null;
        string path = Path.GetFullPath(spec.AssemblyPath);
        string Fail(string why) => $"--vale-lookup {spec.Switch}: {path}: {why}";
        if (!File.Exists(path)) { error = Fail("no such file"); return false; }

        Assembly asm;
        try
        {
            asm = new PluginLoadContext(path).LoadFromAssemblyPath(path);
        }
        catch (Exception e) when (e is BadImageFormatException or FileLoadException or IOException or ArgumentException or InvalidOperationException)
        {
            error = Fail($"cannot load the assembly: {e.Message}");
            return false;
        }

        var contract = typeof(IValeLookup);
        Type? type;
        if (spec.TypeName is { } name)
        {
            try { type = asm.GetType(name, throwOnError: false); }
            catch (Exception e) when (e is FileNotFoundException or FileLoadException or BadImageFormatException or TypeLoadException)
            {
                error = Fail($"cannot load type {name}: {e.Message}");
                return false;
            }
            if (type is null) { error = Fail($"no type {name}"); return false; }
            if (!contract.IsAssignableFrom(type))
            {
                error = Fail($"{name} does not implement {contract.FullName} (of {contract.Assembly.Location})");
                return false;
            }
            if (type.IsAbstract || type.IsInterface) { error = Fail($"{name} is abstract"); return false; }
        }
        else
        {
            Type[] types;
            try { types = asm.GetExportedTypes(); }
            catch (Exception e) when (e is FileNotFoundException or FileLoadException or BadImageFormatException or TypeLoadException or ReflectionTypeLoadException)
            {
                error = Fail($"cannot list its types: {e.Message}");
                return false;
            }
            var found = types.Where(t => contract.IsAssignableFrom(t) && t is { IsAbstract: false, IsInterface: false }).ToArray();
            if (found.Length != 1)
            {
                error = Fail(found.Length == 0
                    ? $"no public type implements {contract.FullName} (a plugin must be built against the daemon's Netmap.dll)"
                    : $"{found.Length} types implement {contract.Name} ({string.Join(", ", found.Select(t => t.FullName))}): name one, {ValeLookupSpec.Syntax}");
                return false;
            }
            type = found[0];
        }

        string what = spec.Argument is null ? $"new {type.FullName}()" : $"new {type.FullName}(\"{spec.Argument}\")";
        var ctor = spec.Argument is null ? type.GetConstructor(Type.EmptyTypes) : type.GetConstructor([typeof(string)]);
        if (ctor is null)
        {
            error = Fail(spec.Argument is null
                ? $"{type.FullName} has no public parameterless constructor (give its argument: {ValeLookupSpec.Syntax})"
                : $"{type.FullName} has no public constructor taking a string");
            return false;
        }
        try
        {
            var instance = (IValeLookup)ctor.Invoke(spec.Argument is null ? null : [spec.Argument]);
            loaded = new LoadedValeLookup(spec with { AssemblyPath = path }, instance);
            error = "";
            return true;
        }
        catch (TargetInvocationException e)
        {
            error = Fail($"{what} failed: {e.InnerException?.Message ?? e.Message}");
            return false;
        }
        catch (Exception e) when (e is MemberAccessException or TypeLoadException or FileNotFoundException or FileLoadException)
        {
            error = Fail($"{what} failed: {e.Message}");
            return false;
        }
    }
}
