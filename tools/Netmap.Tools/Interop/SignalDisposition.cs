using System.Runtime.InteropServices;

namespace Netmap.Tools.Interop;

/// <summary>
/// sigaction(2) for one purpose: giving back to SIGINT/SIGTERM the default disposition when the process inherited
/// SIG_IGN (a background job of a non-interactive shell gets SIGINT and SIGQUIT ignored; nohup and some supervisors
/// ignore others). netmap's tools install their handler with signal()/sigaction(), which overrides an inherited
/// SIG_IGN; the .NET runtime instead keeps an ignored signal ignored and never calls a PosixSignalRegistration for
/// it. Any other disposition (the runtime's own handler, a handler of the host) is left alone.
/// </summary>
internal static unsafe partial class SignalDisposition
{
    private const nint SigDfl = 0;
    private const nint SigIgn = 1;
    private const ulong SaSiginfo = 4;

    /// <summary>glibc's and musl's struct sigaction on Linux (x86_64 and arm64): handler, 1024-bit mask, flags, restorer.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct SigAction
    {
        public nint Handler;
        public fixed ulong Mask[16];
        public int Flags;
        public nint Restorer;
    }

    [LibraryImport("libc", EntryPoint = "sigaction", SetLastError = true)]
    private static partial int sigaction(int signum, SigAction* act, SigAction* oldact);

    /// <summary>True when <paramref name="signal"/> is ignored (SIG_IGN, no SA_SIGINFO handler).</summary>
    public static bool IsIgnored(int signal)
    {
        SigAction old;
        if (sigaction(signal, null, &old) != 0) return false;
        return old.Handler == SigIgn && ((ulong)(uint)old.Flags & SaSiginfo) == 0;
    }

    /// <summary>Sets SIG_DFL when <paramref name="signal"/> is ignored; true when it changed something.</summary>
    public static bool ResetIfIgnored(int signal)
    {
        if (!IsIgnored(signal)) return false;
        SigAction dfl = default;
        dfl.Handler = SigDfl;
        return sigaction(signal, &dfl, null) == 0;
    }
}
