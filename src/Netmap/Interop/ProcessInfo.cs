namespace Netmap.Interop;

/// <summary>Small process facts from libc.</summary>
internal static class ProcessInfo
{
    public static bool IsRoot => Libc.geteuid() == 0;
    public static uint EffectiveUid => Libc.geteuid();
}
