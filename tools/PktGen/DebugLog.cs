using System.Globalization;

namespace Netmap.Tools.PktGen;

/// <summary>
/// netmap's D() macro: "SSS.uuuuuu function [LINE] message" on stderr, where SSS is the wall-clock seconds modulo
/// 1000 ("%03d") and uuuuuu the microseconds, function and LINE the C source location netmap would print.
/// </summary>
public sealed class DebugLog
{
    /// <summary>Line numbers of the D() calls in pkt-gen.c that we imitate (fixed, plausible values).</summary>
    public const int MainThreadReportLine = 2781;
    public const int StartThreadsWaitLine = 2617;
    public const int StartThreadsReadyLine = 2619;
    public const int SigintLine = 646;
    public const int PingCountLine = 1284;
    public const int PingHistogramLine = 1299;
    public const int PingTotalLine = 1319;
    public const int PingNoRoomLine = 1219;
    public const int PingPollLine = 1246;
    public const int PongPollLine = 1360;
    public const int SenderPollLine = 1524;
    public const int SenderFlushLine = 1586;
    public const int SenderPendingLine = 1597;
    public const int ReceiverWaitLine = 1690;
    public const int ReceiverPollErrLine = 1727;
    public const int AffinityLine = 661;
    public const int OuchLine = 2846;
    public const int BadSlotsLine = 2848;

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
