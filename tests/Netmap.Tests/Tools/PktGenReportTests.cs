using System.Text.RegularExpressions;
using Netmap.Tools;
using Netmap.Tools.PktGen;

namespace Netmap.Tests.Tools;

public class PktGenReportTests
{
    /// <summary>A report line as pkt-gen prints it on stderr.</summary>
    public static readonly Regex ReportLine = new(
        @"^\d{3}\.\d{6} main_thread \[\d+\] \d+\.\d{3} [KMGT]?pps (\[avg/std [^\]]*\])?\(\d+\.\d{3} [KMGT]?pkts \d+\.\d{3} [KMGT]?bps in \d+ usec\) \d+\.\d{2} avg_batch \d+ min_space$");

    [Theory]
    [InlineData(14880000, "14.880 M")]
    [InlineData(0, "0.000 ")]
    [InlineData(999, "999.000 ")]
    [InlineData(1000, "1.000 K")]
    [InlineData(7.143e9, "7.143 G")]
    [InlineData(1e15, "1000.000 T")]
    public void Norm_Normalized(double v, string expected) => Assert.Equal(expected, RateReporter.Norm(v));

    [Theory]
    [InlineData(14880000, "14880000 ")]
    [InlineData(0, "0 ")]
    [InlineData(1234.4, "1234 ")]
    public void Norm_Raw(double v, string expected) => Assert.Equal(expected, RateReporter.Norm(v, normalize: false));

    [Fact]
    public void ReportMessage_IsNetmapsLine()
    {
        string m = RateReporter.FormatReport(14880000, "", 14881000, 7.143e9, 1000070, 512, 99999);
        Assert.Equal("14.880 Mpps (14.881 Mpkts 7.143 Gbps in 1000070 usec) 512.00 avg_batch 99999 min_space", m);
        string raw = RateReporter.FormatReport(14880000, "", 14881000, 7.143e9, 1000070, 512, 99999, normalize: false);
        Assert.Equal("14880000 pps (14881000 pkts 7143000000 bps in 1000070 usec) 512.00 avg_batch 99999 min_space", raw);
    }

    [Fact]
    public void ReportLine_MatchesRegex()
    {
        var t = new DateTime(2024, 11, 25, 16, 0, 0, DateTimeKind.Utc).AddTicks(1234560);
        string line = DebugLog.Format(t, "main_thread", PktGenLines.MainThreadReport,
            RateReporter.FormatReport(14880000, "", 14881000, 7.143e9, 1000070, 512, 99999));
        Assert.Equal("400.123456 main_thread [2781] 14.880 Mpps (14.881 Mpkts 7.143 Gbps in 1000070 usec) 512.00 avg_batch 99999 min_space", line);
        Assert.Matches(ReportLine, line);
        string idle = DebugLog.Format(t, "main_thread", 2781, RateReporter.FormatReport(0, "", 0, 0, 1000012, 0, 99999));
        Assert.Equal("400.123456 main_thread [2781] 0.000 pps (0.000 pkts 0.000 bps in 1000012 usec) 0.00 avg_batch 99999 min_space", idle);
        Assert.Matches(ReportLine, idle);
    }

    [Fact]
    public void Summary_Lines()
    {
        var lines = RateReporter.FormatSummary("Sent", 14880000, 892800000, 29066, 1.0);
        Assert.Equal(2, lines.Length);
        Assert.Equal("Sent 14880000 packets 892800000 bytes 29066 events 60 bytes each in 1.00 seconds.", lines[0]);
        Assert.Equal("Speed: 14.880 Mpps Bandwidth: 7.142 Gbps (raw 9.999 Gbps). Average batch: 511.94 pkts", lines[1]);
        Assert.Equal(["Received nothing."], RateReporter.FormatSummary("Received", 0, 0, 0, 0));
        var raw = RateReporter.FormatSummary("Received", 100, 6000, 10, 2.0, normalize: false);
        Assert.Equal("Speed: 50 pps Bandwidth: 24000 bps (raw 33600 bps). Average batch: 10.00 pkts", raw[1]);
    }
}
