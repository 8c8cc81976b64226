namespace Netmap.Tools;

/// <summary>The exit statuses of netmap's tools.</summary>
public static class ExitStatus
{
    /// <summary>Done (also after SIGINT/SIGTERM: the tool printed its summary).</summary>
    public const int Success = 0;

    /// <summary>A request failed or a port could not be opened; bridge.c's usage() too.</summary>
    public const int Failure = 1;

    /// <summary>A bad command line in pkt-gen and vale-ctl: their <c>usage(-1)</c> is <c>exit(-1)</c>, status 255.</summary>
    public const int Usage = 255;
}
