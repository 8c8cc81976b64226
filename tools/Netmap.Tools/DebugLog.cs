using System.Globalization;

namespace Netmap.Tools;

/// <summary>
/// netmap's D() macro: <c>SSS.uuuuuu function [LINE] message</c> on stderr, where SSS is the wall-clock seconds
/// modulo 1000 ("%03d"), uuuuuu the microseconds, function and LINE the C source location netmap would print
/// (each tool keeps the line numbers of its C original).
/// </summary>
public sealed class DebugLog
{
    private readonly TextWriter _writer;

    /// <summary>A log writing to <paramref name="writer"/> (the tools pass stderr).</summary>
    public DebugLog(TextWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        _writer = writer;
    }

    /// <summary>Writes one D() line and flushes it.</summary>
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
