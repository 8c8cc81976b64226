using System.Diagnostics;

namespace Netmap.Tests.Infrastructure;

/// <summary>Lines of a child's stdout (and stderr, prefixed), collected as they come.</summary>
public sealed class ProcessLines
{
    private readonly List<string> _lines = new();

    public ProcessLines(Process p)
    {
        p.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (_lines) { _lines.Add(e.Data); Monitor.PulseAll(_lines); } };
        p.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (_lines) { _lines.Add("stderr: " + e.Data); Monitor.PulseAll(_lines); } };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
    }

    public List<string> All { get { lock (_lines) return _lines.ToList(); } }

    public void WaitFor(string line, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        lock (_lines)
        {
            while (!_lines.Contains(line))
            {
                if (clock.Elapsed > timeout) throw new Xunit.Sdk.XunitException($"no {line} within {timeout.TotalSeconds} s:\n{string.Join('\n', _lines)}");
                Monitor.Wait(_lines, 50);
            }
        }
    }
}
