namespace Netmap.Tools.Bridge;

/// <summary>The bridge.c source lines its D() calls print (<see cref="DebugLog"/>); fixed, plausible values.</summary>
public static class BridgeLines
{
    /// <summary>sigint_h.</summary>
    public const int Sigint = 32;
    /// <summary>"same interface, endpoint 1 goes to host".</summary>
    public const int SameInterface = 256;
    /// <summary>"cannot open IF".</summary>
    public const int CannotOpen = 268;
    /// <summary>"------- zerocopy [NOT ]supported".</summary>
    public const int ZeroCopy = 284;
    /// <summary>"Wait N secs for link to come up...".</summary>
    public const int Wait = 288;
    /// <summary>"Ready to go, ...".</summary>
    public const int Ready = 292;
    /// <summary>-v: the counters every second.</summary>
    public const int Verbose = 320;
}
