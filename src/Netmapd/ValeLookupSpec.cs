using Netmap;
using Netmap.Abi;

namespace Netmapd;

/// <summary>
/// One <c>--vale-lookup SWITCH=ASSEMBLY.dll[:TYPE[:ARG]]</c>: install on switch SWITCH an instance of TYPE (or of
/// the one type in ASSEMBLY implementing IValeLookup when TYPE is empty), made with its constructor taking a string
/// (given ARG) or its parameterless one. The assembly part ends at the first ".dll"; ARG is the rest of the text,
/// colons included.
/// </summary>
internal sealed record ValeLookupSpec(string Switch, string AssemblyPath, string? TypeName, string? Argument)
{
    private const string OptionName = "--vale-lookup";

    public const string Syntax = "SWITCH=ASSEMBLY.dll[:Namespace.TypeName[:ARG]]";

    /// <summary>Parses <paramref name="text"/>; null with <paramref name="error"/> set when it is malformed.</summary>
    public static ValeLookupSpec? Parse(string text, out string? error)
    {
        error = null;
        int eq = text.IndexOf('=');
        if (eq <= 0) { error = $"--vale-lookup '{text}': expected {Syntax}"; return null; }
        string sw = text[..eq], rest = text[(eq + 1)..];
        if (!sw.StartsWith(NetmapConstants.BridgeNamePrefix, StringComparison.Ordinal) || sw.Length >= NetmapConstants.InterfaceNameSize
            || !sw.All(c => char.IsAsciiLetterOrDigit(c) || c == '_'))
        {
            error = $"--vale-lookup '{text}': '{sw}' is not a VALE switch name (vale followed by letters, digits or _, under {NetmapConstants.InterfaceNameSize} characters)";
            return null;
        }
        int dll = rest.IndexOf(".dll", StringComparison.OrdinalIgnoreCase);
        while (dll >= 0 && dll + 4 < rest.Length && rest[dll + 4] != ':')
            dll = rest.IndexOf(".dll", dll + 1, StringComparison.OrdinalIgnoreCase);
        if (dll <= 0) { error = $"--vale-lookup {sw}: '{rest}' does not name an assembly (.dll); expected {Syntax}"; return null; }
        string path = rest[..(dll + 4)];
        string? type = null, arg = null;
        if (dll + 4 < rest.Length)
        {
            string tail = rest[(dll + 5)..];
            int colon = tail.IndexOf(':');
            type = colon < 0 ? tail : tail[..colon];
            if (colon >= 0) arg = tail[(colon + 1)..];
            if (type.Length == 0) type = null;
        }
        return new ValeLookupSpec(sw, path, type, arg);
    }

    /// <summary>
    /// <paramref name="args"/> with the assembly path of every --vale-lookup made absolute (for --detach, whose daemon
    /// runs in /). The rest of each value, ARG included, is passed on as written.
    /// </summary>
    public static string[] WithAbsoluteAssemblyPaths(IReadOnlyList<string> args)
    {
        var result = args.ToArray();
        for (int i = 0; i < result.Length; i++)
        {
            if (result[i] == OptionName && i + 1 < result.Length) { i++; result[i] = Absolute(result[i]); }
            else if (result[i].StartsWith(OptionName + "=", StringComparison.Ordinal))
                result[i] = OptionName + "=" + Absolute(result[i][(OptionName.Length + 1)..]);
        }
        return result;
    }

    private static string Absolute(string value)
    {
        var spec = Parse(value, out _);
        if (spec is null) return value; // the daemon will report it
        int start = spec.Switch.Length + 1;
        return value[..start] + Path.GetFullPath(spec.AssemblyPath) + value[(start + spec.AssemblyPath.Length)..];
    }
}
