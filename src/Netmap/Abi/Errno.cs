using Netmap.Abi;
namespace Netmap;

/// <summary>Linux errno values used by netmap's control path (x86_64 numbering).</summary>
public enum Errno
{
    /// <summary>No error.</summary>
    None = 0,
    /// <summary>EPERM (1): Operation not permitted.</summary>
    EPERM = 1,
    /// <summary>ENOENT (2): No such file or directory.</summary>
    ENOENT = 2,
    /// <summary>EINTR (4): Interrupted system call.</summary>
    EINTR = 4,
    /// <summary>EIO (5): Input/output error.</summary>
    EIO = 5,
    /// <summary>ENXIO (6): No such device or address.</summary>
    ENXIO = 6,
    /// <summary>E2BIG (7): Argument list too long.</summary>
    E2BIG = 7,
    /// <summary>EBADF (9): Bad file descriptor.</summary>
    EBADF = 9,
    /// <summary>EAGAIN (11): Resource temporarily unavailable.</summary>
    EAGAIN = 11,
    /// <summary>ENOMEM (12): Cannot allocate memory.</summary>
    ENOMEM = 12,
    /// <summary>EACCES (13): Permission denied.</summary>
    EACCES = 13,
    /// <summary>EFAULT (14): Bad address.</summary>
    EFAULT = 14,
    /// <summary>EBUSY (16): Device or resource busy.</summary>
    EBUSY = 16,
    /// <summary>EEXIST (17): File exists.</summary>
    EEXIST = 17,
    /// <summary>ENODEV (19): No such device.</summary>
    ENODEV = 19,
    /// <summary>EINVAL (22): Invalid argument.</summary>
    EINVAL = 22,
    /// <summary>ENFILE (23): Too many open files in system.</summary>
    ENFILE = 23,
    /// <summary>EMFILE (24): Too many open files.</summary>
    EMFILE = 24,
    /// <summary>ENOSPC (28): No space left on device.</summary>
    ENOSPC = 28,
    /// <summary>EPIPE (32): Broken pipe.</summary>
    EPIPE = 32,
    /// <summary>ERANGE (34): Numerical result out of range.</summary>
    ERANGE = 34,
    /// <summary>ENAMETOOLONG (36): File name too long.</summary>
    ENAMETOOLONG = 36,
    /// <summary>EMSGSIZE (90): Message too long.</summary>
    EMSGSIZE = 90,
    /// <summary>EPROTO (71): Protocol error.</summary>
    EPROTO = 71,
    /// <summary>ENOTSOCK (88): Socket operation on non-socket.</summary>
    ENOTSOCK = 88,
    /// <summary>EOPNOTSUPP (95): Operation not supported.</summary>
    EOPNOTSUPP = 95,
    /// <summary>ENETDOWN (100): Network is down.</summary>
    ENETDOWN = 100,
    /// <summary>ECONNRESET (104): Connection reset by peer.</summary>
    ECONNRESET = 104,
    /// <summary>ENOBUFS (105): No buffer space available.</summary>
    ENOBUFS = 105,
    /// <summary>ECONNREFUSED (111): Connection refused.</summary>
    ECONNREFUSED = 111,
    /// <summary>ETIMEDOUT (110): Connection timed out.</summary>
    ETIMEDOUT = 110,
    /// <summary>EDQUOT (122): Disk quota exceeded.</summary>
    EDQUOT = 122,
}
