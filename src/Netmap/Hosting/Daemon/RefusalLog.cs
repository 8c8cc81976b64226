using System.Diagnostics;

namespace Netmap.Hosting.Daemon;

/// <summary>
/// Logs refused connections without letting a flood flood the log: the first refusal of a uid is logged at once,
/// later ones are counted and summed up at most once per <see cref="Interval"/>. Called from the event loop only.
/// </summary>
internal sealed class RefusalLog(Action<TraceLevel, string> log)
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(10);

    private readonly Dictionary<uint, long> _counts = new();
    private readonly HashSet<uint> _seen = new();
    private long _lastSummary = Environment.TickCount64;
    private string? _lastReason;

    public void Refused(uint uid, string why)
    {
        _lastReason = why;
        if (_seen.Add(uid))
        {
            log(TraceLevel.Warning, $"connection of uid {uid} refused: {why}");
            _lastSummary = Environment.TickCount64; // the next summary covers what follows this line
            if (_seen.Count > 4096) _seen.Clear(); // bounded: a summary line per uid again is fine
        }
        else _counts[uid] = _counts.GetValueOrDefault(uid) + 1;
        long now = Environment.TickCount64;
        if (now - _lastSummary < (long)Interval.TotalMilliseconds || _counts.Count == 0) return;
        _lastSummary = now;
        log(TraceLevel.Warning, $"refused in the last {Interval.TotalSeconds:F0} s: {string.Join(", ", _counts.Select(kv => $"{kv.Value} from uid {kv.Key}"))} (last: {_lastReason})");
        _counts.Clear();
    }
}
