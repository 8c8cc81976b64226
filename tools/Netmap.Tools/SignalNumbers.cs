namespace Netmap.Tools;

/// <summary>Linux signal numbers the tools deal with (the same on every Linux ABI .NET runs on).</summary>
public static class SignalNumbers
{
    /// <summary>SIGINT (^C, <c>kill -INT</c>).</summary>
    public const int SIGINT = 2;
    /// <summary>SIGTERM (<c>kill</c>).</summary>
    public const int SIGTERM = 15;
}
