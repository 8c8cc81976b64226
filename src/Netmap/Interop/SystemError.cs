using System.Runtime.InteropServices;
using Netmap.Abi;

namespace Netmap.Interop;

/// <summary>Turns the last libc error into a <see cref="NetmapException"/> naming the object and the call.</summary>
internal static class SystemError
{
    public static NetmapException Last(string obj, string call)
    {
        int e = Marshal.GetLastPInvokeError();
        return new NetmapException((Errno)e, $"{obj}: {call}: {Name(e)} ({Marshal.GetPInvokeErrorMessage(e)})");
    }

    public static string Name(int errno) => Enum.IsDefined(typeof(Errno), errno) ? ((Errno)errno).ToString() : $"errno {errno}";
}
