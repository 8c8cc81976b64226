namespace Netmap.Interop;

/// <summary>Small process facts from libc.</summary>
public static class ProcessInfo
{
    public static bool IsRoot => Libc.geteuid() == 0;
    public static uint EffectiveUid => Libc.geteuid();

    /// <summary>RLIMIT_NOFILE's soft limit (what this process may have open), or 1024 if it cannot be read.</summary>
    public static unsafe long OpenFileLimit
    {
        get
        {
            ulong* lim = stackalloc ulong[2];
            return Libc.getrlimit(Libc.RLIMIT_NOFILE, lim) == 0 ? (long)Math.Min(lim[0], (ulong)int.MaxValue) : 1024;
        }
    }
}
