using Netmap.Abi;
namespace Netmap;

/// <summary>Linux errno values used by netmap's control path (x86_64 numbering).</summary>
public enum Errno
{
    None = 0,
    EPERM = 1,
    ENOENT = 2,
    EINTR = 4,
    EIO = 5,
    ENXIO = 6,
    E2BIG = 7,
    EBADF = 9,
    EAGAIN = 11,
    ENOMEM = 12,
    EACCES = 13,
    EFAULT = 14,
    EBUSY = 16,
    EEXIST = 17,
    ENODEV = 19,
    EINVAL = 22,
    EMFILE = 24,
    ENOSPC = 28,
    EPIPE = 32,
    ERANGE = 34,
    ENAMETOOLONG = 36,
    EMSGSIZE = 90,
    EPROTO = 71,
    ENOTSOCK = 88,
    EOPNOTSUPP = 95,
    ENETDOWN = 100,
    ECONNREFUSED = 111,
    ETIMEDOUT = 110,
}
