using System.Runtime.InteropServices;
using Netmap.Abi;

namespace Netmap.Tools.ValeCtl;

/// <summary>strerror(3) as glibc says it in the C locale, for the messages vale-ctl prints
/// ("failed to remove x: Device or resource busy"). Fixed text for netmap's errnos, so the output does not
/// depend on the process locale; the runtime's strerror for any other number.</summary>
public static class ErrnoText
{
    public static string Of(Errno errno) => errno switch
    {
        Errno.None => "Success",
        Errno.EPERM => "Operation not permitted",
        Errno.ENOENT => "No such file or directory",
        Errno.EINTR => "Interrupted system call",
        Errno.EIO => "Input/output error",
        Errno.ENXIO => "No such device or address",
        Errno.E2BIG => "Argument list too long",
        Errno.EBADF => "Bad file descriptor",
        Errno.EAGAIN => "Resource temporarily unavailable",
        Errno.ENOMEM => "Cannot allocate memory",
        Errno.EACCES => "Permission denied",
        Errno.EFAULT => "Bad address",
        Errno.EBUSY => "Device or resource busy",
        Errno.EEXIST => "File exists",
        Errno.ENODEV => "No such device",
        Errno.EINVAL => "Invalid argument",
        Errno.ENOSPC => "No space left on device",
        Errno.EPIPE => "Broken pipe",
        Errno.ERANGE => "Numerical result out of range",
        Errno.ENAMETOOLONG => "File name too long",
        Errno.EPROTO => "Protocol error",
        Errno.EMSGSIZE => "Message too long",
        Errno.EOPNOTSUPP => "Operation not supported",
        Errno.ETIMEDOUT => "Connection timed out",
        Errno.ECONNREFUSED => "Connection refused",
        _ => Marshal.GetPInvokeErrorMessage((int)errno),
    };
}
