namespace Netmap.Tools.PktGen;

/// <summary>The pkt-gen.c source lines its D() calls print (<see cref="DebugLog"/>); fixed, plausible values.</summary>
public static class PktGenLines
{
    /// <summary>main_thread: the report line every -T ms.</summary>
    public const int MainThreadReport = 2781;
    /// <summary>start_threads: "Wait N secs for phy reset".</summary>
    public const int StartThreadsWait = 2617;
    /// <summary>start_threads: "Ready...".</summary>
    public const int StartThreadsReady = 2619;
    /// <summary>sigint_h: "received control-C on thread ...".</summary>
    public const int Sigint = 646;
    /// <summary>ping_body: the RTT count line.</summary>
    public const int PingCount = 1284;
    /// <summary>ping_body: the RTT histogram line.</summary>
    public const int PingHistogram = 1299;
    /// <summary>ping_body: the RTT total line.</summary>
    public const int PingTotal = 1319;
    /// <summary>ping_body: no room in the TX ring.</summary>
    public const int PingNoRoom = 1219;
    /// <summary>ping_body: poll error or timeout.</summary>
    public const int PingPoll = 1246;
    /// <summary>pong_body: poll error or timeout.</summary>
    public const int PongPoll = 1360;
    /// <summary>sender_body: poll error or timeout, fragment set-up.</summary>
    public const int SenderPoll = 1524;
    /// <summary>sender_body: the final flush.</summary>
    public const int SenderFlush = 1586;
    /// <summary>sender_body: still pending TX slots at the end.</summary>
    public const int SenderPending = 1597;
    /// <summary>receiver_body: waiting for the first packets.</summary>
    public const int ReceiverWait = 1690;
    /// <summary>receiver_body: poll error.</summary>
    public const int ReceiverPollErr = 1727;
    /// <summary>setaffinity: cannot pin.</summary>
    public const int Affinity = 661;
    /// <summary>main_thread: "ouch, thread N exited with error".</summary>
    public const int Ouch = 2846;
    /// <summary>main_thread: slots skipped because a peer handed back invalid buffer indices (ours, not netmap's).</summary>
    public const int BadSlots = 2848;
}
