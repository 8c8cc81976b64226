using System.Globalization;

namespace Netmap.Tools.Bridge;

/// <summary>
/// netmap's D() macro: "SSS.uuuuuu function [LINE] message" on stderr, where SSS is the wall-clock seconds modulo
/// 1000 and uuuuuu the microseconds, function and LINE the C source location netmap would print.
/// </summary>
public sealed class DebugLog
{
    /// <summary>Line numbers of the D() calls of bridge.c we imitate (fixed, plausible values).</summary>
    public const int SigintLine = 32;
    public const int SameInterfaceLine = 256;
    public const int CannotOpenLine = 268;
    public const int ZeroCopyLine = 284;
    public const int WaitLine = 288;
    public const int ReadyLine = 292;
    public const int VerboseLine = 320;

    private readonly TextWriter _writer;

    public DebugLog(TextWriter writer) => _writer = writer;

    /// <summary>Writes one D() line.</summary>
    public void D(string function, int line, string message)
    {
        _writer.WriteLine(Format(DateTime.UtcNow, function, line, message));
        _writer.Flush();
    }

    /// <summary>Formats one D() line for the wall-clock time <paramref name="utcNow"/>.</summary>
    public static string Format(DateTime utcNow, string function, int line, string message)
    {
        long us = (utcNow.ToUniversalTime() - DateTime.UnixEpoch).Ticks / 10;
        long sec = us / 1_000_000, usec = us % 1_000_000;
        return string.Create(CultureInfo.InvariantCulture, $"{sec % 1000:D3}.{usec:D6} {function} [{line}] {message}");
    }
}
