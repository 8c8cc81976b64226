using Netmap.Abi;

namespace Netmap;

/// <summary>
/// A control-path failure: names the object, the operation and the errno, e.g.
/// "netmap:p{1: NIOCCTRL REGISTER: EBUSY, ring 0 is held exclusively". Never thrown on the data path.
/// </summary>
public sealed class NetmapException : Exception
{
    /// <summary>An error with errno <paramref name="errno"/> and a message naming the object and the cause.</summary>
    public NetmapException(Errno errno, string message) : base(message) => Errno = errno;

    /// <summary>The errno netmap would have returned.</summary>
    public Errno Errno { get; }

    /// <summary>Builds "object: operation: ERRNO, detail".</summary>
    internal static NetmapException Create(string obj, string operation, Errno errno, string? detail = null)
        => new(errno, detail is null ? $"{obj}: {operation}: {errno}" : $"{obj}: {operation}: {errno}, {detail}");
}
