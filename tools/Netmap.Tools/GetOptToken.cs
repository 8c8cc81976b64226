namespace Netmap.Tools;

/// <summary>One item of a command line, as <see cref="GetOpt"/> reads it.</summary>
/// <param name="Kind">What it is.</param>
/// <param name="Option">The option character (Option, UnknownOption, MissingValue), else '\0'.</param>
/// <param name="Value">The option's value (attached "-n100" or the next word), the operand, or the long option;
/// null for an option without one.</param>
public readonly record struct GetOptToken(GetOptKind Kind, char Option, string? Value)
{
    /// <summary>getopt's diagnostic for <see cref="GetOptKind.MissingValue"/>.</summary>
    public string MissingValueMessage => $"option requires an argument -- '{Option}'";
}
