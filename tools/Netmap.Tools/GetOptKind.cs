namespace Netmap.Tools;

/// <summary>What <see cref="GetOpt.Next"/> found.</summary>
public enum GetOptKind
{
    /// <summary>An option of the option string, with its value if it takes one.</summary>
    Option,
    /// <summary>A word that is not an option (or any word after "--", or "-" alone).</summary>
    Operand,
    /// <summary>A word starting with "--" (the tools accept a few: --help, pkt-gen's --busy).</summary>
    LongOption,
    /// <summary>An option character that is not in the option string.</summary>
    UnknownOption,
    /// <summary>An option that takes a value was the last word.</summary>
    MissingValue,
}
